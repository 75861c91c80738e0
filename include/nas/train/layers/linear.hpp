// Fully connected layer on the flattened input: N x C x H x W is read as N x (C*H*W) in NCHW order
// (PyTorch's flatten), the output is N x out_features x 1 x 1.
#pragma once

#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/rng.hpp"
#include "nas/train/gemm.hpp"
#include "nas/train/tensor.hpp"

namespace nas::train {

struct linear_options {
  std::size_t in_features = 0;
  std::size_t out_features = 0;
  bool bias = true;
  std::string name = {};
};

// y = x W^T + b with W of shape out_features x in_features.
// Example: linear fc({.in_features = 128, .out_features = 10}, rng);
class linear {
 public:
  linear() = default;

  // A layer with zero weights and bias.
  explicit linear(linear_options o) : opt_(std::move(o)) {
    if (opt_.in_features == 0 || opt_.out_features == 0)
      throw moo::value_error(moo::detail::message(label(), ": in_features and out_features must be positive, got ",
                                                  opt_.in_features, " and ", opt_.out_features));
    if (!detail::product_within({opt_.out_features, opt_.in_features}))
      throw moo::value_error(moo::detail::message(label(), ": a weight of out_features x in_features = ",
                                                  opt_.out_features, " x ", opt_.in_features, " holds more than ",
                                                  max_tensor_values, " (2^28) values"));
    weight_ = matrix_type::from_shape({opt_.out_features, opt_.in_features});
    std::fill(weight_.begin(), weight_.end(), 0.0f);
    weight_grad_ = weight_;
    bias_ = zeros_vector(opt_.bias ? opt_.out_features : 0);
    bias_grad_ = bias_;
  }

  // A layer initialised like PyTorch's default, U(-1/sqrt(in), 1/sqrt(in)).
  linear(linear_options o, moo::rng& r) : linear(std::move(o)) { init(r); }

  void init(moo::rng& r) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(opt_.in_features));
    for (auto& v : weight_) v = static_cast<float>(r.uniform(-bound, bound));
    for (auto& v : bias_) v = static_cast<float>(r.uniform(-bound, bound));
  }

  using matrix_type = xt::xtensor<float, 2>;

  std::string_view kind() const { return "linear"; }
  const linear_options& options() const { return opt_; }
  std::string label() const { return detail::layer_label(kind(), opt_.name); }

  matrix_type& weight() { return weight_; }
  const matrix_type& weight() const { return weight_; }
  vector& bias() { return bias_; }
  const vector& bias() const { return bias_; }
  const matrix_type& weight_grad() const { return weight_grad_; }
  const vector& bias_grad() const { return bias_grad_; }

  shape4 output_shape(std::span<const shape4> in) const {
    detail::require_inputs(label(), in.size(), 1);
    const shape4& s = in[0];
    if (s[1] * s[2] * s[3] != opt_.in_features)
      throw shape_error(moo::detail::message(label(), ": input shape ", to_string(s), " has ", s[1] * s[2] * s[3],
                                             " features per sample, the layer expects ", opt_.in_features,
                                             " (e.g. [N, ", opt_.in_features, ", 1, 1])"));
    return {s[0], opt_.out_features, 1, 1};
  }

  std::size_t macs(std::span<const shape4> in) const { return output_shape(in)[0] * opt_.in_features * opt_.out_features; }

  std::vector<parameter_ref> parameters() {
    std::vector<parameter_ref> p{{opt_.name + ".weight", {weight_.data(), weight_.size()},
                                  {weight_grad_.data(), weight_grad_.size()}, true}};
    if (opt_.bias) p.push_back({opt_.name + ".bias", {bias_.data(), bias_.size()}, {bias_grad_.data(), bias_grad_.size()}, true});
    return p;
  }

  void forward(std::span<const tensor* const> in, tensor& out) {
    const tensor& x = *in[0];
    const shape4 xs = shape_of(x);
    const shape4 ys = output_shape(std::span<const shape4>(&xs, 1));
    ensure_shape(out, ys);
    const int n = int(xs[0]), fi = int(opt_.in_features), fo = int(opt_.out_features);
    detail::sgemm(false, true, n, fo, fi, 1.0f, x.data(), fi, weight_.data(), fi, 0.0f, out.data(), fo);
    if (opt_.bias)
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < fo; ++j) out.data()[i * fo + j] += bias_[std::size_t(j)];
  }

  void backward(std::span<const tensor* const> in, const tensor& out, const tensor& grad_out,
                std::span<tensor* const> grad_in) {
    (void)out;
    const tensor& x = *in[0];
    const shape4 xs = shape_of(x);
    const int n = int(xs[0]), fi = int(opt_.in_features), fo = int(opt_.out_features);
    detail::sgemm(true, false, fo, fi, n, 1.0f, grad_out.data(), fo, x.data(), fi, 0.0f, weight_grad_.data(), fi);
    if (opt_.bias) {
      std::fill(bias_grad_.begin(), bias_grad_.end(), 0.0f);
      for (int i = 0; i < n; ++i)
        for (int j = 0; j < fo; ++j) bias_grad_[std::size_t(j)] += grad_out.data()[i * fo + j];
    }
    if (!grad_in.empty() && grad_in[0] != nullptr) {
      ensure_shape(*grad_in[0], xs);
      detail::sgemm(false, false, n, fi, fo, 1.0f, grad_out.data(), fo, weight_.data(), fi, 0.0f, grad_in[0]->data(), fi);
    }
  }

 private:
  linear_options opt_;
  matrix_type weight_, weight_grad_;
  vector bias_, bias_grad_;
};

}  // namespace nas::train
