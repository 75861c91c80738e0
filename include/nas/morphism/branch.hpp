// Function-preserving branching of a convolution:
//  - split_conv: a dense convolution becomes two convolutions over the same input, holding the first
//    and the remaining filters, merged by channel concatenation (the output is the same tensor);
//  - add_convex_branch: a new convolution parallel to an existing one, merged with it by a convex
//    combination alpha * old + (1 - alpha) * new with a trainable alpha starting at 1 (Elsken et al.
//    2019, LEMONADE, sec. 3.2), so the new branch is switched off until training moves alpha.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <string_view>
#include <vector>

#include "moo/core/rng.hpp"
#include "nas/graph/architecture.hpp"
#include "nas/graph/convex_merge.hpp"
#include "nas/graph/layers.hpp"
#include "nas/morphism/channels.hpp"
#include "nas/morphism/insert.hpp"
#include "nas/morphism/morphism.hpp"
#include "nas/train/layer.hpp"

namespace nas::morphism {

// Settings of split_conv.
struct split_options {
  // The first convolution keeps round(factor * filters) filters (at least 1, at most filters - 1).
  double factor = 0.5;
};

// Splits a dense convolution's filters into two convolutions merged by concat. Sites: dense
// convolutions with at least two filters.
struct split_conv {
  static constexpr bool function_preserving = true;
  split_options options = {};

  // The operator's name in reports and sampler statistics.
  std::string_view name() const { return "split_conv"; }
  // Every site of this operator on a (see the type comment).
  std::vector<site> sites(const architecture& a) const {
    std::vector<site> out;
    for (node_id v = 1; v < a.size(); ++v)
      if (graph::is_dense_conv(a.layer(v)) && a.layer(v).get_if<train::conv2d>()->options().out_channels >= 2)
        out.push_back({v});
    return out;
  }
  // The child of parent at site s (value_error if s is not a site).
  architecture apply(const architecture& parent, const site& s, moo::rng&) const {
    detail::require_site(*this, parent, s);
    const auto& conv = *parent.layer(s.node).get_if<train::conv2d>();
    const std::size_t c = conv.options().out_channels;
    const auto first = static_cast<std::size_t>(
        std::clamp<long long>(std::llround(options.factor * double(c)), 1, static_cast<long long>(c) - 1));
    std::vector<std::size_t> head(first), tail(c - first);
    for (std::size_t j = 0; j < first; ++j) head[j] = j;
    for (std::size_t j = first; j < c; ++j) tail[j - first] = j;
    architecture child = parent;
    const node_id in = parent.inputs(s.node).front();
    child.set_layer(s.node, detail::conv_select_outputs(conv, head));
    const node_id second = detail::add_node(child, detail::conv_select_outputs(conv, tail), {in});
    detail::splice_after(child, s.node, train::concat{}, {s.node, second});
    return child;
  }
};

// Settings of add_convex_branch.
struct convex_branch_options {
  // Kernel sizes of the new convolution (odd); used when the existing one has "same"-style padding
  // (kernel / 2), otherwise the new one copies its kernel and padding.
  std::vector<std::size_t> kernels{1, 3, 5};
};

// Adds a randomly initialised convolution parallel to a dense convolution and merges the two with a
// convex_merge whose alpha starts at 1. Sites: dense convolutions.
struct add_convex_branch {
  static constexpr bool function_preserving = true;
  convex_branch_options options = {};

  // The operator's name in reports and sampler statistics.
  std::string_view name() const { return "add_convex_branch"; }
  // Every site of this operator on a (see the type comment).
  std::vector<site> sites(const architecture& a) const {
    std::vector<site> out;
    for (node_id v = 1; v < a.size(); ++v)
      if (graph::is_dense_conv(a.layer(v))) out.push_back({v});
    return out;
  }
  // The child of parent at site s (value_error if s is not a site).
  architecture apply(const architecture& parent, const site& s, moo::rng& r) const {
    detail::require_site(*this, parent, s);
    auto o = parent.layer(s.node).get_if<train::conv2d>()->options();
    o.name.clear();
    if (o.padding == o.kernel / 2 && o.kernel % 2 == 1) {
      o.kernel = detail::pick(options.kernels, r);
      if (o.kernel % 2 == 0)
        throw moo::value_error(moo::detail::message(name(), ": kernel ", o.kernel, " must be odd"));
      o.padding = o.kernel / 2;
    }
    architecture child = parent;
    const node_id in = parent.inputs(s.node).front();
    const node_id branch = detail::add_node(child, train::conv2d(o, r), {in});
    detail::splice_after(child, s.node, graph::convex_merge({.alpha = 1.0f}), {s.node, branch});
    return child;
  }
};

}  // namespace nas::morphism
