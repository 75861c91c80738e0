// Function-preserving deepening (Chen et al. 2016, Net2DeeperNet; Elsken et al. 2018, NASH, sec. 3):
// after a ReLU, insert Conv-BN-ReLU, or a depthwise-separable block (depthwise conv, pointwise conv,
// BN, ReLU), whose convolutions are identities (odd kernel, "same" padding, a single 1 at the centre)
// and whose batch norm is the identity for the statistics of the parent's activation at that point.
// The new ReLU keeps the function because its input is a ReLU output, and ReLU is idempotent.
#pragma once

#include <cmath>
#include <cstddef>
#include <numbers>
#include <string_view>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/rng.hpp"
#include "nas/graph/architecture.hpp"
#include "nas/morphism/morphism.hpp"
#include "nas/train/layer.hpp"
#include "nas/train/network.hpp"

namespace nas::morphism {

// Settings of the inserting operators.
struct insert_options {
  // Kernel sizes the new (depthwise) convolution draws from; each must be odd.
  std::vector<std::size_t> kernels{3};
  // Optional batch of inputs: the new batch norm's running statistics are measured on the parent's
  // activations for it. Without it they are estimated from the batch norm before the ReLU (a rectified
  // Gaussian with that layer's beta and gamma), or set to mean 0, variance 1.
  const train::tensor* calibration = nullptr;
};

namespace detail {

// ReLU nodes of a: the sites of the inserting operators.
inline std::vector<site> relu_sites(const architecture& a) {
  std::vector<site> out;
  for (node_id v = 1; v < a.size(); ++v)
    if (a.layer(v).get_if<train::relu>()) out.push_back({v});
  return out;
}

// Per-channel mean and variance of the output of ReLU node v of the parent (see insert_options).
inline void relu_statistics(const architecture& a, node_id v, const train::tensor* calibration,
                            std::vector<double>& mean, std::vector<double>& var) {
  const std::size_t c = a.shape(v)[1];
  mean.assign(c, 0.0);
  var.assign(c, 1.0);
  if (calibration != nullptr) {
    auto net = a.compile();
    net.eval();
    net.forward(*calibration);
    const auto order = a.compile_order();
    const std::size_t i = static_cast<std::size_t>(std::find(order.begin(), order.end(), v) - order.begin());
    const train::tensor& y = net.activation(i);
    const train::shape4 s = train::shape_of(y);
    const std::size_t plane = s[2] * s[3];
    const double count = static_cast<double>(s[0] * plane);
    for (std::size_t ch = 0; ch < c; ++ch) {
      double s1 = 0.0, s2 = 0.0;
      for (std::size_t n = 0; n < s[0]; ++n) {
        const float* p = y.data() + (n * s[1] + ch) * plane;
        for (std::size_t j = 0; j < plane; ++j) {
          s1 += p[j];
          s2 += static_cast<double>(p[j]) * p[j];
        }
      }
      mean[ch] = s1 / count;
      var[ch] = std::max(0.0, s2 / count - mean[ch] * mean[ch]);
    }
    return;
  }
  const node_id u = a.inputs(v).front();
  if (u == a.input()) return;
  const auto* b = a.layer(u).get_if<train::batch_norm>();
  if (b == nullptr) return;
  for (std::size_t ch = 0; ch < c; ++ch) {
    // ReLU of N(mu, sigma^2): E = mu Phi(a) + sigma phi(a), E[y^2] = (mu^2 + sigma^2) Phi(a) + mu sigma phi(a), a = mu / sigma.
    const double mu = b->beta()[ch], sigma = std::max(1e-3, std::abs(static_cast<double>(b->gamma()[ch])));
    const double t = mu / sigma;
    const double pdf = std::exp(-0.5 * t * t) / std::sqrt(2.0 * std::numbers::pi);
    const double cdf = 0.5 * std::erfc(-t / std::numbers::sqrt2);
    mean[ch] = mu * cdf + sigma * pdf;
    const double second = (mu * mu + sigma * sigma) * cdf + mu * sigma * pdf;
    var[ch] = std::max(1e-4, second - mean[ch] * mean[ch]);
  }
}

// An identity convolution: c -> c channels, kernel k (odd), padding k / 2, a 1 at the centre of the
// kernel that maps channel i to channel i (depthwise when `depthwise`).
inline train::conv2d identity_conv(std::size_t c, std::size_t k, bool depthwise) {
  if (k % 2 == 0) throw moo::value_error(moo::detail::message("identity convolution: kernel ", k, " must be odd"));
  train::conv2d conv({.in_channels = c, .out_channels = c, .kernel = k, .stride = 1, .padding = k / 2,
                      .groups = depthwise ? c : 1, .bias = false});
  const std::size_t per = depthwise ? 1 : c;
  for (std::size_t i = 0; i < c; ++i) conv.weight().data()[((i * per + (depthwise ? 0 : i)) * k + k / 2) * k + k / 2] = 1.0f;
  return conv;
}

template <class T>
const T& pick(const std::vector<T>& v, moo::rng& r) {
  if (v.empty()) throw moo::value_error("morphism: an empty list of choices");
  return v[static_cast<std::size_t>(r.index(v.size()))];
}

// Inserts `blocks` (convolutions) plus an identity BN and a ReLU after ReLU node v.
inline architecture insert_after_relu(const architecture& parent, node_id v, std::vector<train::layer> convs,
                                      const insert_options& o) {
  std::vector<double> mean, var;
  relu_statistics(parent, v, o.calibration, mean, var);
  const std::size_t c = mean.size();
  architecture child = parent;
  node_id last = v;
  for (auto& conv : convs) last = child.insert_after(last, std::move(conv));
  train::batch_norm bn({.channels = c});
  identity_batch_norm(bn, mean, var);
  last = child.insert_after(last, std::move(bn));
  child.insert_after(last, train::relu{});
  return child;
}

}  // namespace detail

// Inserts Conv(k x k, identity)-BN(identity)-ReLU after a ReLU (Net2DeeperNet). Sites: ReLU nodes.
// Example: auto child = insert_conv_block{}.apply(parent, insert_conv_block{}.sites(parent)[0], rng);
struct insert_conv_block {
  static constexpr bool function_preserving = true;
  insert_options options = {};

  // The operator's name in reports and sampler statistics.
  std::string_view name() const { return "insert_conv_bn_relu"; }
  // Every site of this operator on a (see the type comment).
  std::vector<site> sites(const architecture& a) const { return detail::relu_sites(a); }
  // The child of parent at site s (value_error if s is not a site).
  architecture apply(const architecture& parent, const site& s, moo::rng& r) const {
    detail::require_site(*this, parent, s);
    const std::size_t c = parent.shape(s.node)[1];
    std::vector<train::layer> convs;
    convs.emplace_back(detail::identity_conv(c, detail::pick(options.kernels, r), false));
    return detail::insert_after_relu(parent, s.node, std::move(convs), options);
  }
};

// Inserts a depthwise-separable block after a ReLU: depthwise conv (identity kernels), pointwise 1x1
// conv (identity matrix), BN (identity), ReLU. Sites: ReLU nodes.
struct insert_separable_block {
  static constexpr bool function_preserving = true;
  insert_options options = {};

  // The operator's name in reports and sampler statistics.
  std::string_view name() const { return "insert_separable_block"; }
  // Every site of this operator on a (see the type comment).
  std::vector<site> sites(const architecture& a) const { return detail::relu_sites(a); }
  // The child of parent at site s (value_error if s is not a site).
  architecture apply(const architecture& parent, const site& s, moo::rng& r) const {
    detail::require_site(*this, parent, s);
    const std::size_t c = parent.shape(s.node)[1];
    std::vector<train::layer> convs;
    convs.emplace_back(detail::identity_conv(c, detail::pick(options.kernels, r), true));
    convs.emplace_back(detail::identity_conv(c, 1, false));
    return detail::insert_after_relu(parent, s.node, std::move(convs), options);
  }
};

}  // namespace nas::morphism
