// A layer the backend does not provide: the convex combination y = alpha * x0 + (1 - alpha) * x1 of two
// equally shaped inputs with a trainable scalar alpha. Network morphisms insert it with alpha = 1, so a
// new branch x1 starts switched off and the child computes its parent's function (Elsken et al. 2019,
// LEMONADE, sec. 3.2). It satisfies nas::train::layer_type, so it lives in a graph like any other layer.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "moo/core/error.hpp"
#include "nas/train/tensor.hpp"

namespace nas::graph {

// Settings of a convex merge: the initial alpha and a name for messages.
struct convex_merge_options {
  float alpha = 1.0f;
  std::string name = {};
};

// y = alpha * x0 + (1 - alpha) * x1; alpha is a trainable parameter without weight decay and is not
// clamped (a search that wants it in [0, 1] can clamp it after each step).
// Example: arch.add(convex_merge({.alpha = 1.0f}), {old_branch, new_branch});
class convex_merge {
 public:
  convex_merge() : convex_merge(convex_merge_options{}) {}
  // A merge with the given initial alpha.
  explicit convex_merge(convex_merge_options o) : name_(std::move(o.name)) {
    alpha_ = train::zeros_vector(1);
    alpha_[0] = o.alpha;
    alpha_grad_ = train::zeros_vector(1);
  }

  std::string_view kind() const { return "convex_merge"; }
  std::string label() const { return train::detail::layer_label(kind(), name_); }
  const std::string& name() const { return name_; }
  float alpha() const { return alpha_[0]; }
  void set_alpha(float a) { alpha_[0] = a; }
  float alpha_grad() const { return alpha_grad_[0]; }

  // Two inputs of equal shape; the output has that shape.
  train::shape4 output_shape(std::span<const train::shape4> in) const {
    train::detail::require_inputs(label(), in.size(), 2);
    if (in[0] != in[1])
      throw train::shape_error(moo::detail::message(label(), ": input 1 has shape ", train::to_string(in[1]),
                                                    ", input 0 has shape ", train::to_string(in[0]),
                                                    "; they must be equal"));
    return in[0];
  }

  // alpha, without weight decay.
  std::vector<train::parameter_ref> parameters() {
    return {{name_ + ".alpha", {alpha_.data(), 1}, {alpha_grad_.data(), 1}, false}};
  }

  // y = alpha * x0 + (1 - alpha) * x1.
  void forward(std::span<const train::tensor* const> in, train::tensor& out) {
    const std::array<train::shape4, 2> s{train::shape_of(*in[0]), train::shape_of(*in[1])};
    train::ensure_shape(out, output_shape(s));
    const float a = alpha_[0], b = 1.0f - a;
    const float* x0 = in[0]->data();
    const float* x1 = in[1]->data();
    float* y = out.data();
    for (std::size_t i = 0; i < out.size(); ++i) y[i] = a * x0[i] + b * x1[i];
  }

  // d alpha = sum g * (x0 - x1); d x0 = alpha g; d x1 = (1 - alpha) g.
  void backward(std::span<const train::tensor* const> in, const train::tensor& out, const train::tensor& grad_out,
                std::span<train::tensor* const> grad_in) {
    const float a = alpha_[0];
    const float* g = grad_out.data();
    const float* x0 = in[0]->data();
    const float* x1 = in[1]->data();
    double s = 0.0;
    for (std::size_t i = 0; i < out.size(); ++i) s += static_cast<double>(g[i]) * (x0[i] - x1[i]);
    alpha_grad_[0] = static_cast<float>(s);
    const std::array<float, 2> scale{a, 1.0f - a};
    for (std::size_t k = 0; k < 2 && k < grad_in.size(); ++k) {
      if (grad_in[k] == nullptr) continue;
      train::ensure_shape(*grad_in[k], train::shape_of(out));
      float* d = grad_in[k]->data();
      for (std::size_t i = 0; i < out.size(); ++i) d[i] = scale[k] * g[i];
    }
  }

 private:
  std::string name_;
  train::vector alpha_, alpha_grad_;
};

}  // namespace nas::graph
