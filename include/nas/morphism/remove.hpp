// Approximate network morphisms that remove structure (Elsken et al. 2019, LEMONADE, sec. 3.2): remove a
// layer (a convolution block or a pooling layer) and remove a skip (an input of an add, a concat or a
// convex merge). The child no longer computes its parent's function; distil it from the parent
// (nas::morphism::distill) before normal training.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/rng.hpp"
#include "nas/graph/architecture.hpp"
#include "nas/graph/convex_merge.hpp"
#include "nas/graph/layers.hpp"
#include "nas/morphism/channels.hpp"
#include "nas/morphism/morphism.hpp"
#include "nas/train/layer.hpp"

namespace nas::morphism {

namespace detail {

// True if w is v's only reader and v is w's only input (so w can go with v).
inline bool exclusive_next(const architecture& a, node_id v, node_id w) {
  return w != a.output() && a.consumers(v) == std::vector<node_id>{w} && a.inputs(w).size() == 1;
}

// The block that removing node v takes out: a convolution with the layers that only post-process it
// (for a depthwise one its pointwise convolution, then a batch norm, then a ReLU), or a single pooling
// or identity layer. Empty when v is not such a layer.
inline std::vector<node_id> removal_block(const architecture& a, node_id v) {
  if (v == a.input() || v == a.output() || a.inputs(v).size() != 1) return {};
  const train::layer& l = a.layer(v);
  if (l.get_if<train::max_pool2d>() || l.get_if<train::avg_pool2d>() || l.get_if<train::identity>()) return {v};
  if (!l.get_if<train::conv2d>()) return {};
  std::vector<node_id> block{v};
  auto next = [&]() -> node_id {
    const auto readers = a.consumers(block.back());
    return readers.size() == 1 && exclusive_next(a, block.back(), readers.front()) ? readers.front() : no_node;
  };
  if (graph::is_depthwise_conv(l)) {
    const node_id w = next();
    if (w != no_node && graph::is_dense_conv(a.layer(w)) && a.layer(w).get_if<train::conv2d>()->options().kernel == 1)
      block.push_back(w);
  }
  if (const node_id w = next(); w != no_node && a.layer(w).get_if<train::batch_norm>()) block.push_back(w);
  if (const node_id w = next(); w != no_node && a.layer(w).get_if<train::relu>()) block.push_back(w);
  return block;
}

// True if the graph stays valid when `block` (a chain whose head has one input) is bypassed.
inline bool valid_without(const architecture& a, const std::vector<node_id>& block) {
  std::vector<char> gone(a.size(), 0);
  for (node_id v : block) gone[v] = 1;
  const node_id source = a.inputs(block.front()).front();
  auto shapes = a.shapes();
  std::vector<train::shape4> args;
  for (node_id v : a.topological_order()) {
    if (v == a.input()) continue;
    if (gone[v]) {
      shapes[v] = shapes[source];
      continue;
    }
    args.clear();
    for (node_id u : a.inputs(v)) args.push_back(shapes[u]);
    try {
      shapes[v] = a.layer(v).output_shape(args);
    } catch (const moo::error&) {
      return false;
    }
  }
  return true;
}

// Replaces node v by its single remaining input x (readers of v read x); if v is the output, it
// becomes an identity layer instead.
inline void bypass(architecture& a, node_id v, node_id x) {
  if (v == a.output()) {
    a.set_layer(v, train::identity{});
    a.set_inputs(v, {x});
    return;
  }
  a.redirect_consumers(v, x);
  a.remove_nodes({v});
}

}  // namespace detail

// Removes a convolution block (conv [+ pointwise conv] [+ BN] [+ ReLU]) or a pooling layer where the
// rest of the graph still fits: the readers of the block read its input. Sites: the block heads.
struct remove_layer {
  static constexpr bool function_preserving = false;

  // The operator's name in reports and sampler statistics.
  std::string_view name() const { return "remove_layer"; }
  // Every site of this operator on a (see the type comment).
  std::vector<site> sites(const architecture& a) const {
    std::vector<site> out;
    for (node_id v = 1; v < a.size(); ++v) {
      const auto block = detail::removal_block(a, v);
      if (!block.empty() && detail::valid_without(a, block)) out.push_back({v});
    }
    return out;
  }
  // The child of parent at site s (value_error if s is not a site).
  architecture apply(const architecture& parent, const site& s, moo::rng&) const {
    detail::require_site(*this, parent, s);
    const auto block = detail::removal_block(parent, s.node);
    architecture child = parent;
    child.redirect_consumers(block.back(), parent.inputs(block.front()).front());
    child.remove_nodes(block);
    return child;
  }
};

// Removes one input of an add, a concat (its consumers drop the matching input weights) or a convex
// merge; a merge left with one input is bypassed, and nodes that no longer reach the output are
// pruned. Sites: {node = the merge, slot = the input removed}.
struct remove_skip {
  static constexpr bool function_preserving = false;

  // The operator's name in reports and sampler statistics.
  std::string_view name() const { return "remove_skip"; }
  // Every site of this operator on a (see the type comment).
  std::vector<site> sites(const architecture& a) const {
    std::vector<site> out;
    std::optional<detail::channel_groups> cg;
    for (node_id v = 1; v < a.size(); ++v) {
      const train::layer& l = a.layer(v);
      const std::size_t k = a.inputs(v).size();
      if (l.get_if<train::add>() || l.get_if<graph::convex_merge>()) {
        if (k >= 2)
          for (std::size_t s = 0; s < k; ++s) out.push_back({v, no_node, s});
      } else if (l.get_if<train::concat>() && k >= 2) {
        if (!cg) cg = detail::find_channel_groups(a);
        for (std::size_t s = 0; s < k; ++s)
          if (detail::plan_channels(a, *cg, cg->of[v], concat_keep(a, *cg, v, s), v)) out.push_back({v, no_node, s});
      }
    }
    return out;
  }
  // The child of parent at site s (value_error if s is not a site).
  architecture apply(const architecture& parent, const site& s, moo::rng&) const {
    detail::require_site(*this, parent, s);
    architecture child = parent;
    auto in = parent.inputs(s.node);
    if (parent.layer(s.node).get_if<train::concat>()) {
      const auto cg = detail::find_channel_groups(parent);
      const auto plan = detail::plan_channels(parent, cg, cg.of[s.node], concat_keep(parent, cg, s.node, s.slot), s.node);
      detail::apply_channels(child, cg, *plan, detail::channel_scaling::keep);
    }
    in.erase(in.begin() + static_cast<std::ptrdiff_t>(s.slot));
    if (in.size() == 1) {
      detail::bypass(child, s.node, in.front());
    } else {
      child.set_inputs(s.node, in);
    }
    child.prune();
    return child;
  }

 private:
  // The channels of concat v that remain when its input `slot` goes.
  static std::vector<std::size_t> concat_keep(const architecture& a, const detail::channel_groups& cg, node_id v,
                                              std::size_t slot) {
    std::vector<std::size_t> keep;
    std::size_t offset = 0;
    const auto in = a.inputs(v);
    for (std::size_t k = 0; k < in.size(); ++k) {
      const std::size_t c = cg.shapes[in[k]][1];
      if (k != slot)
        for (std::size_t j = 0; j < c; ++j) keep.push_back(offset + j);
      offset += c;
    }
    return keep;
  }
};

}  // namespace nas::morphism
