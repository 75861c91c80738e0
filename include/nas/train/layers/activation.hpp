// Rectified linear unit, elementwise max(x, 0). Its backward pass reads the output (y > 0 <=> x > 0).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "nas/train/kernels.hpp"
#include "nas/train/parallel.hpp"
#include "nas/train/tensor.hpp"

namespace nas::train {

struct relu_options {
  std::string name = {};
};

// ReLU; the derivative at 0 is taken as 0.
class relu {
 public:
  relu() = default;
  explicit relu(relu_options o) : opt_(std::move(o)) {}

  std::string_view kind() const { return "relu"; }
  std::string label() const { return detail::layer_label(kind(), opt_.name); }

  shape4 output_shape(std::span<const shape4> in) const {
    detail::require_inputs(label(), in.size(), 1);
    return in[0];
  }

  void forward(std::span<const tensor* const> in, tensor& out) {
    const tensor& x = *in[0];
    ensure_shape(out, shape_of(x));
    const std::size_t n = x.size(), parts = detail::elementwise_parts(n);
    default_pool().parallel_for(parts, [&](std::size_t p, std::size_t) {
      std::size_t b, e;
      detail::split_range(n, parts, p, b, e);
      detail::relu_forward(x.data() + b, out.data() + b, e - b);
    });
  }

  void backward(std::span<const tensor* const> in, const tensor& out, const tensor& grad_out,
                std::span<tensor* const> grad_in) {
    (void)in;
    if (grad_in.empty() || grad_in[0] == nullptr) return;
    tensor& dx = *grad_in[0];
    ensure_shape(dx, shape_of(out));
    const std::size_t n = out.size(), parts = detail::elementwise_parts(n);
    default_pool().parallel_for(parts, [&](std::size_t p, std::size_t) {
      std::size_t b, e;
      detail::split_range(n, parts, p, b, e);
      detail::relu_backward(out.data() + b, grad_out.data() + b, dx.data() + b, e - b);
    });
  }

 private:
  relu_options opt_;
};

}  // namespace nas::train
