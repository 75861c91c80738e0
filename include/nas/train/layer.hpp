// The runtime interface of layers: the layer_type concept every layer satisfies, and `layer`, a copyable
// value that holds any of them (copying a layer copies its weights, so a child network starts from its
// parent's). Networks are built and edited at run time (morphisms), so layers are values, not types.
#pragma once

#include <concepts>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "nas/train/layers/activation.hpp"
#include "nas/train/layers/batch_norm.hpp"
#include "nas/train/layers/conv2d.hpp"
#include "nas/train/layers/linear.hpp"
#include "nas/train/layers/merge.hpp"
#include "nas/train/layers/pooling.hpp"
#include "nas/train/tensor.hpp"

namespace nas::train {

// A layer: a copyable value that names its kind, infers (and checks) its output shape from its input
// shapes, computes its output from its inputs, and, given the output gradient, sets its parameter
// gradients and writes (overwrites) the gradients of the inputs whose pointer is not null. Optional:
// parameters(), set_training(bool), macs(shapes), label().
template <class L>
concept layer_type = std::copy_constructible<L> &&
    requires(L& l, const L& cl, std::span<const shape4> shapes, std::span<const tensor* const> in, tensor& out,
             const tensor& cout, std::span<tensor* const> gin) {
      { cl.kind() } -> std::convertible_to<std::string_view>;
      { cl.output_shape(shapes) } -> std::same_as<shape4>;
      l.forward(in, out);
      l.backward(in, cout, cout, gin);
    };

// Any layer_type held by value.
// Example: layer l = conv2d({.in_channels = 3, .out_channels = 8, .padding = 1}, rng);
//          if (auto* c = l.get_if<conv2d>()) c->weight()(0, 0, 1, 1) = 1.0f;
class layer {
 public:
  // (The "not a layer" test comes first: clang would otherwise check layer_type<layer>, which asks
  // whether layer is copyable, which considers this constructor again.)
  template <class L>
    requires(!std::same_as<std::remove_cvref_t<L>, layer> && layer_type<L>)
  layer(L l) : self_(std::make_unique<model<L>>(std::move(l))) {}  // NOLINT: implicit by design

  layer(const layer& o) : self_(o.self_ ? o.self_->clone() : nullptr) {}
  layer& operator=(const layer& o) {
    if (this != &o) self_ = o.self_ ? o.self_->clone() : nullptr;
    return *this;
  }
  layer(layer&&) noexcept = default;
  layer& operator=(layer&&) noexcept = default;

  // "conv2d", "batch_norm", "relu", ...
  std::string_view kind() const { return self_->kind(); }
  // The kind and the user's name, for messages: "conv2d 'stem'".
  std::string label() const { return self_->label(); }
  shape4 output_shape(std::span<const shape4> in) const { return self_->output_shape(in); }
  void forward(std::span<const tensor* const> in, tensor& out) { self_->forward(in, out); }
  void backward(std::span<const tensor* const> in, const tensor& out, const tensor& grad_out,
                std::span<tensor* const> grad_in) {
    self_->backward(in, out, grad_out, grad_in);
  }
  // Trainable parameters with their gradients (empty for layers without any).
  std::vector<parameter_ref> parameters() { return self_->parameters(); }
  // True for layers that have a parameters() hook (without allocating the list).
  bool trainable() const { return self_->trainable(); }
  // Switches between training and evaluation behaviour (batch norm); a no-op for other layers.
  void set_training(bool on) { self_->set_training(on); }
  // Multiply-accumulates of one forward pass for the given input shapes (0 where not counted).
  std::size_t macs(std::span<const shape4> in) const { return self_->macs(in); }

  // The held layer if it is an L, else nullptr.
  template <class L>
  L* get_if() {
    auto* m = dynamic_cast<model<L>*>(self_.get());
    return m ? &m->value : nullptr;
  }
  template <class L>
  const L* get_if() const {
    auto* m = dynamic_cast<const model<L>*>(self_.get());
    return m ? &m->value : nullptr;
  }

 private:
  struct concept_t {
    virtual ~concept_t() = default;
    virtual std::unique_ptr<concept_t> clone() const = 0;
    virtual std::string_view kind() const = 0;
    virtual std::string label() const = 0;
    virtual shape4 output_shape(std::span<const shape4>) const = 0;
    virtual void forward(std::span<const tensor* const>, tensor&) = 0;
    virtual void backward(std::span<const tensor* const>, const tensor&, const tensor&, std::span<tensor* const>) = 0;
    virtual std::vector<parameter_ref> parameters() = 0;
    virtual bool trainable() const = 0;
    virtual void set_training(bool) = 0;
    virtual std::size_t macs(std::span<const shape4>) const = 0;
  };

  template <class L>
  struct model final : concept_t {
    explicit model(L v) : value(std::move(v)) {}
    std::unique_ptr<concept_t> clone() const override { return std::make_unique<model>(value); }
    std::string_view kind() const override { return value.kind(); }
    std::string label() const override {
      if constexpr (requires { value.label(); })
        return value.label();
      else
        return std::string(value.kind());
    }
    shape4 output_shape(std::span<const shape4> in) const override { return value.output_shape(in); }
    void forward(std::span<const tensor* const> in, tensor& out) override { value.forward(in, out); }
    void backward(std::span<const tensor* const> in, const tensor& out, const tensor& gout,
                  std::span<tensor* const> gin) override {
      value.backward(in, out, gout, gin);
    }
    std::vector<parameter_ref> parameters() override {
      if constexpr (requires { value.parameters(); })
        return value.parameters();
      else
        return {};
    }
    bool trainable() const override { return requires(L& v) { v.parameters(); }; }
    void set_training(bool on) override {
      if constexpr (requires { value.set_training(on); }) value.set_training(on);
    }
    std::size_t macs(std::span<const shape4> in) const override {
      if constexpr (requires { value.macs(in); })
        return value.macs(in);
      else
        return 0;
    }
    L value;
  };

  std::unique_ptr<concept_t> self_;
};

}  // namespace nas::train
