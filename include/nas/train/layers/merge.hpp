// Layers that merge or pass on tensors: n-ary elementwise add, channel concatenation, identity.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "moo/core/error.hpp"
#include "nas/train/kernels.hpp"
#include "nas/train/parallel.hpp"
#include "nas/train/tensor.hpp"

namespace nas::train {

struct merge_options {
  std::string name = {};
};

// Elementwise sum of one or more inputs of equal shape (residual connections).
class add {
 public:
  add() = default;
  explicit add(merge_options o) : opt_(std::move(o)) {}

  std::string_view kind() const { return "add"; }
  std::string label() const { return detail::layer_label(kind(), opt_.name); }

  shape4 output_shape(std::span<const shape4> in) const {
    detail::require_inputs(label(), in.size(), 0);
    for (std::size_t i = 1; i < in.size(); ++i)
      if (in[i] != in[0])
        throw shape_error(moo::detail::message(label(), ": input ", i, " has shape ", to_string(in[i]),
                                               ", input 0 has shape ", to_string(in[0]), "; they must be equal"));
    return in[0];
  }

  void forward(std::span<const tensor* const> in, tensor& out) {
    shapes_.clear();
    for (const tensor* t : in) shapes_.push_back(shape_of(*t));
    ensure_shape(out, output_shape(shapes_));
    const std::size_t n = out.size(), parts = detail::elementwise_parts(n);
    default_pool().parallel_for(parts, [&](std::size_t p, std::size_t) {
      std::size_t b, e;
      detail::split_range(n, parts, p, b, e);
      float* y = out.data();
      const float* x0 = in[0]->data();
      std::copy(x0 + b, x0 + e, y + b);
      for (std::size_t k = 1; k < in.size(); ++k) {
        const float* xk = in[k]->data();
        for (std::size_t i = b; i < e; ++i) y[i] += xk[i];
      }
    });
  }

  // Every input receives the output gradient.
  void backward(std::span<const tensor* const> in, const tensor& out, const tensor& grad_out,
                std::span<tensor* const> grad_in) {
    (void)in;
    for (tensor* g : grad_in) {
      if (g == nullptr) continue;
      ensure_shape(*g, shape_of(out));
      std::copy(grad_out.begin(), grad_out.end(), g->begin());
    }
  }

 private:
  merge_options opt_;
  std::vector<shape4> shapes_;
};

// Concatenation along the channel axis of inputs that agree in batch, height and width.
class concat {
 public:
  concat() = default;
  explicit concat(merge_options o) : opt_(std::move(o)) {}

  std::string_view kind() const { return "concat"; }
  std::string label() const { return detail::layer_label(kind(), opt_.name); }

  shape4 output_shape(std::span<const shape4> in) const {
    detail::require_inputs(label(), in.size(), 0);
    shape4 s = in[0];
    for (std::size_t i = 1; i < in.size(); ++i) {
      if (in[i][0] != s[0] || in[i][2] != s[2] || in[i][3] != s[3])
        throw shape_error(moo::detail::message(label(), ": input ", i, " has shape ", to_string(in[i]),
                                               ", input 0 has shape ", to_string(in[0]),
                                               "; batch, height and width must be equal"));
      s[1] += in[i][1];
    }
    return s;
  }

  void forward(std::span<const tensor* const> in, tensor& out) {
    shapes_.clear();
    for (const tensor* t : in) shapes_.push_back(shape_of(*t));
    const shape4 ys = output_shape(shapes_);
    ensure_shape(out, ys);
    const std::size_t plane = ys[2] * ys[3];
    default_pool().parallel_for(ys[0], [&](std::size_t n, std::size_t) {
      std::size_t c0 = 0;
      for (std::size_t k = 0; k < in.size(); ++k) {
        const std::size_t ck = shapes_[k][1];
        std::memcpy(out.data() + (n * ys[1] + c0) * plane, in[k]->data() + n * ck * plane, ck * plane * sizeof(float));
        c0 += ck;
      }
    });
  }

  // Each input receives its slice of the output gradient.
  void backward(std::span<const tensor* const> in, const tensor& out, const tensor& grad_out,
                std::span<tensor* const> grad_in) {
    const shape4 ys = shape_of(out);
    const std::size_t plane = ys[2] * ys[3];
    for (std::size_t k = 0; k < grad_in.size(); ++k)
      if (grad_in[k] != nullptr) ensure_shape(*grad_in[k], shape_of(*in[k]));
    default_pool().parallel_for(ys[0], [&](std::size_t n, std::size_t) {
      std::size_t c0 = 0;
      for (std::size_t k = 0; k < in.size(); ++k) {
        const std::size_t ck = shape_of(*in[k])[1];
        if (k < grad_in.size() && grad_in[k] != nullptr)
          std::memcpy(grad_in[k]->data() + n * ck * plane, grad_out.data() + (n * ys[1] + c0) * plane,
                      ck * plane * sizeof(float));
        c0 += ck;
      }
    });
  }

 private:
  merge_options opt_;
  std::vector<shape4> shapes_;
};

// Passes its input on unchanged (a no-op node, or a skip that a morphism may replace).
class identity {
 public:
  identity() = default;
  explicit identity(merge_options o) : opt_(std::move(o)) {}

  std::string_view kind() const { return "identity"; }
  std::string label() const { return detail::layer_label(kind(), opt_.name); }

  shape4 output_shape(std::span<const shape4> in) const {
    detail::require_inputs(label(), in.size(), 1);
    return in[0];
  }

  void forward(std::span<const tensor* const> in, tensor& out) {
    ensure_shape(out, shape_of(*in[0]));
    std::copy(in[0]->begin(), in[0]->end(), out.begin());
  }

  void backward(std::span<const tensor* const> in, const tensor& out, const tensor& grad_out,
                std::span<tensor* const> grad_in) {
    (void)in;
    if (grad_in.empty() || grad_in[0] == nullptr) return;
    ensure_shape(*grad_in[0], shape_of(out));
    std::copy(grad_out.begin(), grad_out.end(), grad_in[0]->begin());
  }

 private:
  merge_options opt_;
};

}  // namespace nas::train
