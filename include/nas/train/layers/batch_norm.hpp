// Batch normalisation over the channels of NCHW tensors (Ioffe & Szegedy 2015, Algorithm 1 and 2).
// In training mode it normalises with the batch statistics and updates the running ones (momentum, the
// unbiased variance, as PyTorch does); in evaluation mode it is the fixed affine map given by the running
// statistics — the mode in which morphisms check function preservation.
#pragma once

#include <cmath>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "moo/core/error.hpp"
#include "nas/train/kernels.hpp"
#include "nas/train/parallel.hpp"
#include "nas/train/tensor.hpp"

namespace nas::train {

// Settings of a batch-norm layer.
struct batch_norm_options {
  std::size_t channels = 0;
  float eps = 1e-5f;
  float momentum = 0.1f;  // running = (1 - momentum) * running + momentum * batch
  std::string name = {};
};

// Batch norm with learnable gamma (scale, starts at 1) and beta (shift, starts at 0).
class batch_norm {
 public:
  batch_norm() = default;
  explicit batch_norm(batch_norm_options o) : opt_(std::move(o)) {
    if (opt_.channels == 0)
      throw moo::value_error(moo::detail::message(label(), ": channels must be positive"));
    gamma_ = zeros_vector(opt_.channels);
    std::fill(gamma_.begin(), gamma_.end(), 1.0f);
    beta_ = zeros_vector(opt_.channels);
    running_mean_ = zeros_vector(opt_.channels);
    running_var_ = zeros_vector(opt_.channels);
    std::fill(running_var_.begin(), running_var_.end(), 1.0f);
    gamma_grad_ = zeros_vector(opt_.channels);
    beta_grad_ = zeros_vector(opt_.channels);
  }

  std::string_view kind() const { return "batch_norm"; }
  const batch_norm_options& options() const { return opt_; }
  std::string label() const { return detail::layer_label(kind(), opt_.name); }

  vector& gamma() { return gamma_; }
  vector& beta() { return beta_; }
  vector& running_mean() { return running_mean_; }
  vector& running_var() { return running_var_; }
  const vector& gamma() const { return gamma_; }
  const vector& beta() const { return beta_; }
  const vector& running_mean() const { return running_mean_; }
  const vector& running_var() const { return running_var_; }
  const vector& gamma_grad() const { return gamma_grad_; }
  const vector& beta_grad() const { return beta_grad_; }

  // Training mode uses batch statistics; evaluation mode the running ones.
  void set_training(bool on) { training_ = on; }
  bool training() const { return training_; }

  shape4 output_shape(std::span<const shape4> in) const {
    detail::require_inputs(label(), in.size(), 1);
    if (in[0][1] != opt_.channels)
      throw shape_error(moo::detail::message(label(), ": input shape ", to_string(in[0]), " has ", in[0][1],
                                             " channels, the layer expects [N, ", opt_.channels, ", H, W]"));
    return in[0];
  }

  std::vector<parameter_ref> parameters() {
    return {{opt_.name + ".gamma", {gamma_.data(), gamma_.size()}, {gamma_grad_.data(), gamma_grad_.size()}, true},
            {opt_.name + ".beta", {beta_.data(), beta_.size()}, {beta_grad_.data(), beta_grad_.size()}, true}};
  }

  void forward(std::span<const tensor* const> in, tensor& out) { forward_impl(*in[0], out, false); }

  // Gradients of gamma and beta and, if requested, of the input (batch statistics in training mode).
  void backward(std::span<const tensor* const> in, const tensor& out, const tensor& grad_out,
                std::span<tensor* const> grad_in) {
    (void)out;
    backward_impl(*in[0], grad_out, grad_in.empty() ? nullptr : grad_in[0], false);
  }

  // relu(batch_norm(x)) in one pass; the network uses it when a ReLU is the only reader of this layer.
  void forward_relu(const tensor& x, tensor& relu_out) { forward_impl(x, relu_out, true); }

  // The backward pass of relu(batch_norm(x)) given the gradient of the ReLU's output; grad_in may be null.
  void backward_relu(const tensor& x, const tensor& grad_relu_out, tensor* grad_in) {
    backward_impl(x, grad_relu_out, grad_in, true);
  }

 private:
  void forward_impl(const tensor& x, tensor& out, bool relu) {
    const shape4 xs = shape_of(x);
    const shape4 s = output_shape(std::span<const shape4>(&xs, 1));
    ensure_shape(out, s);
    const std::size_t n = s[0], c = s[1], plane = s[2] * s[3];
    mean_.resize(c);
    invstd_.resize(c);
    scale_.resize(c);
    shift_.resize(c);
    if (training_ && n * plane < 2)
      throw moo::value_error(moo::detail::message(label(), ": training mode needs more than one value per channel, "
                                                           "got input shape ", to_string(s)));
    // One item per channel: its statistics pass leaves the channel's planes in L2 for the second pass.
    default_pool().parallel_for(c, [&](std::size_t ch, std::size_t) {
      double mean, var;
      if (training_) {
        double s1 = 0.0, s2 = 0.0;
        for (std::size_t i = 0; i < n; ++i) detail::sum_and_squares(x.data() + (i * c + ch) * plane, plane, s1, s2);
        const double m = static_cast<double>(n * plane);
        mean = s1 / m;
        var = std::max(0.0, s2 / m - mean * mean);
        const double mom = opt_.momentum;
        running_mean_[ch] = static_cast<float>((1.0 - mom) * running_mean_[ch] + mom * mean);
        running_var_[ch] = static_cast<float>((1.0 - mom) * running_var_[ch] + mom * var * m / (m - 1.0));
      } else {
        mean = running_mean_[ch];
        var = running_var_[ch];
      }
      const double invstd = 1.0 / std::sqrt(var + static_cast<double>(opt_.eps));
      mean_[ch] = static_cast<float>(mean);
      invstd_[ch] = static_cast<float>(invstd);
      scale_[ch] = static_cast<float>(gamma_[ch] * invstd);
      shift_[ch] = static_cast<float>(beta_[ch] - mean * gamma_[ch] * invstd);
      for (std::size_t i = 0; i < n; ++i)
        detail::affine(x.data() + (i * c + ch) * plane, out.data() + (i * c + ch) * plane, plane, scale_[ch],
                       shift_[ch], relu);
    });
  }

  // dx = gamma * invstd * (dz - mean(dz) - xhat * mean(dz * xhat)) in training mode, gamma * invstd * dz
  // in evaluation mode, with dz the output gradient (masked by the ReLU when fused).
  void backward_impl(const tensor& x, const tensor& grad_out, tensor* dx, bool relu) {
    const shape4 s = shape_of(x);
    const std::size_t n = s[0], c = s[1], plane = s[2] * s[3];
    if (dx != nullptr) ensure_shape(*dx, s);
    default_pool().parallel_for(c, [&](std::size_t ch, std::size_t) {
      double sdy = 0.0, sdyx = 0.0;
      for (std::size_t i = 0; i < n; ++i)
        detail::masked_sums(x.data() + (i * c + ch) * plane, grad_out.data() + (i * c + ch) * plane, plane, relu,
                            scale_[ch], shift_[ch], sdy, sdyx);
      const double mean = mean_[ch], invstd = invstd_[ch], g = gamma_[ch];
      const double sdy_xhat = invstd * (sdyx - mean * sdy);
      gamma_grad_[ch] = static_cast<float>(sdy_xhat);
      beta_grad_[ch] = static_cast<float>(sdy);
      if (dx == nullptr) return;
      float a = static_cast<float>(g * invstd), b = 0.0f, c0 = 0.0f;
      if (training_) {
        const double m = static_cast<double>(n * plane);
        const double bb = -g * invstd * invstd * sdy_xhat / m;
        b = static_cast<float>(bb);
        c0 = static_cast<float>(-g * invstd * sdy / m - bb * mean);
      }
      for (std::size_t i = 0; i < n; ++i) {
        const std::size_t off = (i * c + ch) * plane;
        detail::bn_input_grad(x.data() + off, grad_out.data() + off, dx->data() + off, plane, a, b, c0, relu,
                              scale_[ch], shift_[ch]);
      }
    });
  }

  batch_norm_options opt_;
  vector gamma_, beta_, running_mean_, running_var_, gamma_grad_, beta_grad_;
  std::vector<float> mean_, invstd_, scale_, shift_;  // of the last forward pass
  bool training_ = true;
};

}  // namespace nas::train
