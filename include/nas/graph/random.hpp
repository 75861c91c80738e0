// Random architectures for tests, examples and initial populations: a Conv-BN-ReLU stem, then a random
// sequence of plain, residual, two-branch concat and depthwise-separable blocks with optional pooling or
// strided downsampling, and a head (global average pooling or flatten, optionally a hidden linear layer).
// Weights are drawn like PyTorch's defaults; batch-norm statistics and affine parameters are randomised
// too, so a morphism that is only right for identity batch norms fails its tests.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/rng.hpp"
#include "nas/graph/architecture.hpp"
#include "nas/train/layer.hpp"

namespace nas::graph {

// Settings of random_architecture.
struct random_options {
  image_shape input{3, 12, 12};
  std::size_t classes = 5;
  std::size_t min_blocks = 1;
  std::size_t max_blocks = 4;
  std::vector<std::size_t> widths{4, 6, 8};
  std::vector<std::size_t> kernels{1, 3, 5};
  double p_residual = 0.3;
  double p_concat = 0.2;
  double p_separable = 0.15;
  double p_pool = 0.35;            // a pooling layer after a block
  double p_strided = 0.1;          // a stride-2 convolution instead of a pooling layer
  double p_flatten_head = 0.3;     // linear layer on the flattened feature map instead of global pooling
  double p_hidden_linear = 0.2;    // a hidden linear + ReLU before the classifier
  bool random_statistics = true;   // random batch-norm statistics and affine parameters
};

namespace detail {

template <class T>
const T& pick(const std::vector<T>& v, moo::rng& r) {
  return v[static_cast<std::size_t>(r.index(v.size()))];
}

// Random gamma, beta, running mean and variance, so batch norm is far from an identity.
inline void randomise(train::batch_norm& b, moo::rng& r) {
  for (auto& v : b.gamma()) v = static_cast<float>(r.uniform(0.5, 1.5));
  for (auto& v : b.beta()) v = static_cast<float>(r.normal(0.0, 0.3));
  for (auto& v : b.running_mean()) v = static_cast<float>(r.normal(0.0, 0.3));
  for (auto& v : b.running_var()) v = static_cast<float>(r.uniform(0.5, 2.0));
}

// Appends conv -> BN (-> ReLU) to `from`; returns the last node.
inline node_id conv_bn(architecture& a, node_id from, std::size_t in, std::size_t out, std::size_t k,
                       std::size_t stride, bool relu, const random_options& o, moo::rng& r) {
  const node_id c = a.add(train::conv2d({.in_channels = in, .out_channels = out, .kernel = k, .stride = stride,
                                         .padding = k / 2, .bias = r.bernoulli(0.3)}, r),
                          {from});
  train::batch_norm bn({.channels = out});
  if (o.random_statistics) randomise(bn, r);
  node_id last = a.add(std::move(bn), {c});
  if (relu) last = a.add(train::relu{}, {last});
  return last;
}

}  // namespace detail

// A random valid architecture; the same seed gives the same graph and weights.
// Example: moo::rng r(7); auto a = random_architecture({.input = {1, 12, 12}, .classes = 4}, r);
inline architecture random_architecture(const random_options& o, moo::rng& r) {
  if (o.widths.empty() || o.kernels.empty() || o.classes < 1 || o.max_blocks < o.min_blocks)
    throw moo::value_error("random_architecture: needs widths, kernels, classes >= 1 and min_blocks <= max_blocks");
  for (std::size_t k : o.kernels)
    if (k % 2 == 0) throw moo::value_error(moo::detail::message("random_architecture: kernel ", k, " must be odd"));
  architecture a(o.input);
  std::size_t c = o.input[0], h = o.input[1], w = o.input[2];
  std::size_t width = detail::pick(o.widths, r);
  node_id cur = detail::conv_bn(a, a.input(), c, width, 3, 1, true, o, r);
  c = width;
  const auto blocks = static_cast<std::size_t>(r.integer(static_cast<std::int64_t>(o.min_blocks),
                                                         static_cast<std::int64_t>(o.max_blocks)));
  for (std::size_t b = 0; b < blocks; ++b) {
    const double u = r.uniform();
    const std::size_t out = detail::pick(o.widths, r);
    if (u < o.p_residual) {
      // Residual block: x + BN(conv(ReLU(BN(conv(x))))) then ReLU; a 1x1 projection when widths differ.
      const std::size_t k = detail::pick(o.kernels, r);
      node_id y = detail::conv_bn(a, cur, c, out, k, 1, true, o, r);
      y = detail::conv_bn(a, y, out, out, detail::pick(o.kernels, r), 1, false, o, r);
      node_id shortcut = cur;
      if (out != c) shortcut = detail::conv_bn(a, cur, c, out, 1, 1, false, o, r);
      const node_id s = a.add(train::add{}, {shortcut, y});
      cur = a.add(train::relu{}, {s});
      c = out;
    } else if (u < o.p_residual + o.p_concat) {
      const std::size_t out2 = detail::pick(o.widths, r);
      const node_id x = detail::conv_bn(a, cur, c, out, detail::pick(o.kernels, r), 1, true, o, r);
      const node_id y = detail::conv_bn(a, cur, c, out2, detail::pick(o.kernels, r), 1, true, o, r);
      cur = a.add(train::concat{}, {x, y});
      c = out + out2;
    } else if (u < o.p_residual + o.p_concat + o.p_separable) {
      const node_id dw = a.add(train::conv2d({.in_channels = c, .out_channels = c, .kernel = 3, .padding = 1,
                                              .groups = c, .bias = false}, r),
                               {cur});
      cur = detail::conv_bn(a, dw, c, out, 1, 1, true, o, r);
      c = out;
    } else {
      cur = detail::conv_bn(a, cur, c, out, detail::pick(o.kernels, r), 1, true, o, r);
      c = out;
    }
    if (h >= 4 && w >= 4) {
      if (r.bernoulli(o.p_pool)) {
        train::pool2d_options po{.kernel = 2};
        cur = r.bernoulli(0.5) ? a.add(train::max_pool2d(po), {cur}) : a.add(train::avg_pool2d(po), {cur});
        h /= 2;
        w /= 2;
      } else if (r.bernoulli(o.p_strided)) {
        const std::size_t out2 = detail::pick(o.widths, r);
        cur = detail::conv_bn(a, cur, c, out2, 3, 2, true, o, r);
        c = out2;
        h = (h - 1) / 2 + 1;
        w = (w - 1) / 2 + 1;
      }
    }
  }
  std::size_t features = c;
  if (r.bernoulli(o.p_flatten_head) && c * h * w <= 512) {
    features = c * h * w;
  } else {
    cur = a.add(train::global_avg_pool{}, {cur});
  }
  if (r.bernoulli(o.p_hidden_linear)) {
    const std::size_t hidden = detail::pick(o.widths, r);
    cur = a.add(train::linear({.in_features = features, .out_features = hidden}, r), {cur});
    cur = a.add(train::relu{}, {cur});
    features = hidden;
  }
  a.add(train::linear({.in_features = features, .out_features = o.classes}, r), {cur}, "classifier");
  a.validate();
  return a;
}

}  // namespace nas::graph
