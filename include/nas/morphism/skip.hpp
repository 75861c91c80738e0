// Function-preserving skip connections (Elsken et al. 2018, NASH, sec. 3; Elsken et al. 2019, LEMONADE,
// sec. 3.2) from an earlier node u to a later node v:
//  - by addition: v' = v + conv1x1(pool(u)) with the 1x1 convolution zero, so the branch adds nothing
//    until it is trained;
//  - by concatenation: v' = concat(v, pool(u)), and the consumers of v (dense convolutions or linear
//    layers) get zero weights for the new channels.
// When the path from u to v crosses pooling layers, the skip path applies copies of the same poolings,
// so the spatial sizes agree (a path through a strided convolution or a linear layer is no site).
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "moo/core/rng.hpp"
#include "nas/graph/architecture.hpp"
#include "nas/graph/layers.hpp"
#include "nas/morphism/channels.hpp"
#include "nas/morphism/morphism.hpp"
#include "nas/train/layer.hpp"

namespace nas::morphism {

namespace detail {

// The pooling layers to apply on a skip from u to v: those on a path u -> v (v included) that change
// the spatial size. nullopt when some other layer on the path changes it (strided convolution, linear)
// or the copies would not reproduce v's size.
inline std::optional<std::vector<node_id>> skip_poolings(const architecture& a, const std::vector<train::shape4>& shapes,
                                                         const std::vector<char>& ancestor_of_v, node_id u, node_id v) {
  // Breadth-first search from u towards v through ancestors of v, remembering each node's predecessor.
  std::vector<node_id> pred(a.size(), no_node);
  std::vector<node_id> queue{u};
  pred[u] = u;
  for (std::size_t i = 0; i < queue.size() && pred[v] == no_node; ++i)
    for (node_id w : a.consumers(queue[i]))
      if (pred[w] == no_node && (ancestor_of_v[w] || w == v)) {
        pred[w] = queue[i];
        queue.push_back(w);
      }
  if (pred[v] == no_node) return std::nullopt;
  std::vector<node_id> pools;
  for (node_id w = v; w != u; w = pred[w]) {
    const auto& in = shapes[pred[w]];
    const auto& out = shapes[w];
    if (in[2] == out[2] && in[3] == out[3]) continue;
    const train::layer& l = a.layer(w);
    if (!(l.get_if<train::max_pool2d>() || l.get_if<train::avg_pool2d>() || l.get_if<train::global_avg_pool>()))
      return std::nullopt;
    // A pooling reading several inputs does not exist; the copy reads the skip path's tensor.
    pools.push_back(w);
  }
  std::reverse(pools.begin(), pools.end());
  train::shape4 s = shapes[u];
  for (node_id p : pools) {
    const train::shape4 in{1, s[1], s[2], s[3]};
    s = a.layer(p).output_shape({&in, 1});
  }
  if (s[2] != shapes[v][2] || s[3] != shapes[v][3]) return std::nullopt;
  return pools;
}

// Ancestors of v (nodes with a path to v), v excluded.
inline std::vector<char> ancestors(const architecture& a, node_id v) {
  std::vector<char> seen(a.size(), 0);
  std::vector<node_id> stack{v};
  while (!stack.empty()) {
    const node_id w = stack.back();
    stack.pop_back();
    for (node_id u : a.inputs(w))
      if (!seen[u]) {
        seen[u] = 1;
        stack.push_back(u);
      }
  }
  return seen;
}

// Every (u, v) with u an ancestor but not a direct input of v, v not the input or the output and not a
// linear layer, for which a pooling-only skip path exists and `accept(v)` holds.
template <class Accept>
std::vector<site> skip_sites(const architecture& a, Accept accept) {
  std::vector<site> out;
  const auto shapes = a.shapes();
  for (node_id v = 1; v < a.size(); ++v) {
    if (v == a.output() || a.layer(v).get_if<train::linear>() || !accept(v)) continue;
    const auto anc = ancestors(a, v);
    const auto direct = a.inputs(v);
    for (node_id u = 0; u < a.size(); ++u) {
      if (!anc[u] || std::find(direct.begin(), direct.end(), u) != direct.end()) continue;
      if (skip_poolings(a, shapes, anc, u, v)) out.push_back({v, u});
    }
  }
  return out;
}

// Adds copies of the poolings to the skip path starting at u; returns the last node of the path.
inline node_id add_skip_path(architecture& child, const architecture& parent, node_id u, const std::vector<node_id>& pools) {
  node_id cur = u;
  for (node_id p : pools) cur = add_node(child, parent.layer(p), {cur});
  return cur;
}

}  // namespace detail

// Adds a residual skip u -> v by addition through a zero 1x1 convolution (and copies of the poolings
// between u and v). Sites: {node = v, from = u}.
struct add_residual_skip {
  static constexpr bool function_preserving = true;

  // The operator's name in reports and sampler statistics.
  std::string_view name() const { return "add_skip_add"; }
  // Every site of this operator on a (see the type comment).
  std::vector<site> sites(const architecture& a) const {
    return detail::skip_sites(a, [](node_id) { return true; });
  }
  // The child of parent at site s (value_error if s is not a site).
  architecture apply(const architecture& parent, const site& s, moo::rng&) const {
    detail::require_site(*this, parent, s);
    const auto shapes = parent.shapes();
    const auto pools = *detail::skip_poolings(parent, shapes, detail::ancestors(parent, s.node), s.from, s.node);
    architecture child = parent;
    const node_id path = detail::add_skip_path(child, parent, s.from, pools);
    const node_id zero = detail::add_node(child,
                                          train::conv2d({.in_channels = shapes[s.from][1], .out_channels = shapes[s.node][1],
                                                         .kernel = 1, .bias = false}),
                                          {path});
    detail::splice_after(child, s.node, train::add{}, {s.node, zero});
    return child;
  }
};

// Adds a skip u -> v by concatenation: v' = concat(v, pool(u)); the consumers of v, which must all be
// dense convolutions or linear layers, read the new channels with zero weights. Sites: {v, from = u}.
struct add_concat_skip {
  static constexpr bool function_preserving = true;

  // The operator's name in reports and sampler statistics.
  std::string_view name() const { return "add_skip_concat"; }
  // Every site of this operator on a (see the type comment).
  std::vector<site> sites(const architecture& a) const {
    return detail::skip_sites(a, [&](node_id v) {
      const auto readers = a.consumers(v);
      if (readers.empty()) return false;
      for (node_id c : readers)
        if (!(graph::is_dense_conv(a.layer(c)) || a.layer(c).get_if<train::linear>())) return false;
      return true;
    });
  }
  // The child of parent at site s (value_error if s is not a site).
  architecture apply(const architecture& parent, const site& s, moo::rng&) const {
    detail::require_site(*this, parent, s);
    const auto shapes = parent.shapes();
    const auto pools = *detail::skip_poolings(parent, shapes, detail::ancestors(parent, s.node), s.from, s.node);
    architecture child = parent;
    const auto readers = parent.consumers(s.node);
    const node_id path = detail::add_skip_path(child, parent, s.from, pools);
    detail::splice_after(child, s.node, train::concat{}, {s.node, path});
    const std::size_t old_c = shapes[s.node][1], new_c = old_c + shapes[s.from][1];
    const std::size_t hw = shapes[s.node][2] * shapes[s.node][3];
    for (node_id c : readers) child.set_layer(c, detail::extend_input_with_zeros(child.layer(c), old_c, new_c, hw));
    return child;
  }
};

}  // namespace nas::morphism
