// Channel bookkeeping for operators that change a tensor's width (Net2Wider, Chen et al. 2016, sec. 2.1;
// filter pruning; removing a concat input). Tensors whose channels must stay in lockstep form a
// "channel group": the output of a channel-wise layer (batch norm, ReLU, pooling, depthwise convolution,
// add, convex merge, identity) is in the group of its inputs. A group's channels come from its roots
// (dense convolutions, linear layers, or a concatenation) and go to its consumers (dense convolutions
// and linear layers reading a tensor of the group, and concatenations, whose output groups then change
// too). Renumbering a group with a map "new channel j copies old channel map[j]" replicates or selects
// the roots' filters and the channel-wise layers' per-channel values, and gathers the consumers' input
// weights, divided by the number of copies when channels are replicated, so the function is preserved.
#pragma once

#include <algorithm>
#include <cstddef>
#include <numeric>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "nas/graph/architecture.hpp"
#include "nas/graph/convex_merge.hpp"
#include "nas/graph/layers.hpp"
#include "nas/morphism/morphism.hpp"
#include "nas/train/layer.hpp"

namespace nas::morphism::detail {

using graph::architecture;
using graph::no_node;
using graph::node_id;

// How a node takes part in channel groups.
enum class channel_role {
  member,       // channel-wise: its output is in its inputs' group
  dense_root,   // conv2d with groups == 1: starts a group, adapts its input weights
  linear_root,  // linear: starts a group, adapts its input weights (flattened C x H x W)
  concat_root,  // concat: starts a group made of its inputs' channels
  input,        // the network input: fixed width
  blocked       // grouped convolution or unknown layer: cannot follow a change of width
};

// The role of node v (see channel_role).
inline channel_role role_of(const architecture& a, node_id v) {
  if (v == a.input()) return channel_role::input;
  const train::layer& l = a.layer(v);
  if (graph::is_dense_conv(l)) return channel_role::dense_root;
  if (graph::is_depthwise_conv(l)) return channel_role::member;
  if (l.get_if<train::linear>()) return channel_role::linear_root;
  if (l.get_if<train::concat>()) return channel_role::concat_root;
  if (l.get_if<train::batch_norm>() || l.get_if<train::relu>() || l.get_if<train::max_pool2d>() ||
      l.get_if<train::avg_pool2d>() || l.get_if<train::global_avg_pool>() || l.get_if<train::identity>() ||
      l.get_if<train::add>() || l.get_if<graph::convex_merge>())
    return channel_role::member;
  return channel_role::blocked;
}

// The channel groups of a valid architecture.
struct channel_groups {
  std::vector<std::size_t> of;                // group of each node's output
  std::vector<std::vector<node_id>> members;  // nodes whose output is in each group
  std::vector<train::shape4> shapes;          // output shape of each node (batch 1)
  std::vector<channel_role> roles;            // role of each node
  std::size_t channels(std::size_t g) const { return shapes[members[g].front()][1]; }
};

// Groups the nodes of a valid architecture by union-find over the channel-wise layers.
inline channel_groups find_channel_groups(const architecture& a) {
  channel_groups cg;
  cg.shapes = a.shapes();
  const std::size_t n = a.size();
  cg.roles.resize(n);
  std::vector<std::size_t> parent(n);
  std::iota(parent.begin(), parent.end(), std::size_t{0});
  auto find = [&](std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  for (node_id v = 0; v < n; ++v) {
    cg.roles[v] = role_of(a, v);
    if (cg.roles[v] != channel_role::member) continue;
    for (node_id u : a.inputs(v)) parent[find(u)] = find(v);
  }
  cg.of.assign(n, 0);
  std::vector<std::size_t> id(n, static_cast<std::size_t>(-1));
  for (node_id v = 0; v < n; ++v) {
    const std::size_t r = find(v);
    if (id[r] == static_cast<std::size_t>(-1)) {
      id[r] = cg.members.size();
      cg.members.emplace_back();
    }
    cg.of[v] = id[r];
    cg.members[id[r]].push_back(v);
  }
  return cg;
}

// Renumberings of some groups: for each, the old channel that each new channel copies, and the
// concatenation (if any) through which the change arrived and that is therefore allowed as a root.
struct channel_plan {
  std::vector<std::size_t> groups;
  std::vector<std::vector<std::size_t>> maps;
  std::vector<node_id> induced_by;
};

// Plans renumbering group g0 with `map` and everything that must follow (see the file comment).
// `induced_root` is a concatenation allowed as a root of g0 (when its inputs change). Returns nullopt,
// with the reason in *why, when a fixed-width tensor (the input or the output), a grouped convolution,
// another concatenation or an unknown layer is in the way.
inline std::optional<channel_plan> plan_channels(const architecture& a, const channel_groups& cg, std::size_t g0,
                                                 std::vector<std::size_t> map, node_id induced_root = no_node,
                                                 std::string* why = nullptr) {
  auto fail = [&](std::string reason) -> std::optional<channel_plan> {
    if (why != nullptr) *why = std::move(reason);
    return std::nullopt;
  };
  channel_plan p;
  p.groups.push_back(g0);
  p.maps.push_back(std::move(map));
  p.induced_by.push_back(induced_root);
  std::vector<long> index(cg.members.size(), -1);
  index[g0] = 0;
  for (std::size_t qi = 0; qi < p.groups.size(); ++qi) {
    const std::size_t g = p.groups[qi];
    for (node_id m : cg.members[g]) {
      if (m == a.output()) return fail("the output's width is fixed (node " + a.label(m) + ")");
      switch (cg.roles[m]) {
        case channel_role::input: return fail("the input's width is fixed");
        case channel_role::blocked: return fail("node " + a.label(m) + " cannot change its width");
        case channel_role::concat_root:
          if (p.induced_by[qi] != m) return fail("concatenation " + a.label(m) + " would have to change its inputs");
          break;
        default: break;
      }
    }
    for (node_id m : cg.members[g]) {
      for (node_id c : a.consumers(m)) {
        // A channel-wise reader is part of the group; a root reads it as a consumer even when its own
        // output joins the same group (a residual branch conv reading the tensor it is added to).
        const channel_role rc = cg.roles[c];
        if (rc == channel_role::member) continue;
        if (rc == channel_role::dense_root || rc == channel_role::linear_root) continue;
        if (rc != channel_role::concat_root) return fail("consumer " + a.label(c) + " cannot follow a change of width");
        std::vector<std::size_t> induced;
        std::size_t offset = 0;
        for (node_id x : a.inputs(c)) {
          const std::size_t cx = cg.shapes[x][1];
          const long ix = index[cg.of[x]];
          if (ix >= 0) {
            for (std::size_t j : p.maps[static_cast<std::size_t>(ix)]) induced.push_back(offset + j);
          } else {
            for (std::size_t j = 0; j < cx; ++j) induced.push_back(offset + j);
          }
          offset += cx;
        }
        const std::size_t g2 = cg.of[c];
        if (index[g2] >= 0) {
          const auto i2 = static_cast<std::size_t>(index[g2]);
          if (p.induced_by[i2] == c && p.maps[i2] == induced) continue;
          return fail("conflicting changes of width meet at " + a.label(c));
        }
        index[g2] = static_cast<long>(p.groups.size());
        p.groups.push_back(g2);
        p.maps.push_back(std::move(induced));
        p.induced_by.push_back(c);
      }
    }
  }
  return p;
}

// A conv2d like c with the given output filters (new filter j copies old filter map[j]).
inline train::conv2d conv_select_outputs(const train::conv2d& c, const std::vector<std::size_t>& map) {
  auto o = c.options();
  o.out_channels = map.size();
  train::conv2d n(o);
  const std::size_t per = c.weight().size() / c.options().out_channels;
  for (std::size_t j = 0; j < map.size(); ++j) {
    std::copy_n(c.weight().data() + map[j] * per, per, n.weight().data() + j * per);
    if (o.bias) n.bias()[j] = c.bias()[map[j]];
  }
  return n;
}

// A dense conv2d like c whose input channel j reads old input channel map[j], weights times scale[j].
inline train::conv2d conv_select_inputs(const train::conv2d& c, const std::vector<std::size_t>& map,
                                        const std::vector<float>& scale) {
  auto o = c.options();
  const std::size_t old_in = o.in_channels, kk = o.kernel * o.kernel;
  o.in_channels = map.size();
  train::conv2d n(o);
  for (std::size_t f = 0; f < o.out_channels; ++f)
    for (std::size_t j = 0; j < map.size(); ++j) {
      const float* src = c.weight().data() + (f * old_in + map[j]) * kk;
      float* dst = n.weight().data() + (f * map.size() + j) * kk;
      for (std::size_t t = 0; t < kk; ++t) dst[t] = src[t] * scale[j];
    }
  if (o.bias) std::copy(c.bias().begin(), c.bias().end(), n.bias().begin());
  return n;
}

// A depthwise conv2d like c for the renumbered channels.
inline train::conv2d depthwise_select(const train::conv2d& c, const std::vector<std::size_t>& map) {
  auto o = c.options();
  o.in_channels = o.out_channels = o.groups = map.size();
  train::conv2d n(o);
  const std::size_t kk = o.kernel * o.kernel;
  for (std::size_t j = 0; j < map.size(); ++j) {
    std::copy_n(c.weight().data() + map[j] * kk, kk, n.weight().data() + j * kk);
    if (o.bias) n.bias()[j] = c.bias()[map[j]];
  }
  return n;
}

// A batch norm like b for the renumbered channels (affine parameters and running statistics copied).
inline train::batch_norm batch_norm_select(const train::batch_norm& b, const std::vector<std::size_t>& map) {
  auto o = b.options();
  o.channels = map.size();
  train::batch_norm n(o);
  for (std::size_t j = 0; j < map.size(); ++j) {
    n.gamma()[j] = b.gamma()[map[j]];
    n.beta()[j] = b.beta()[map[j]];
    n.running_mean()[j] = b.running_mean()[map[j]];
    n.running_var()[j] = b.running_var()[map[j]];
  }
  n.set_training(b.training());
  return n;
}

// A linear layer like l with the given output units.
inline train::linear linear_select_outputs(const train::linear& l, const std::vector<std::size_t>& map) {
  auto o = l.options();
  o.out_features = map.size();
  train::linear n(o);
  const std::size_t in = o.in_features;
  for (std::size_t j = 0; j < map.size(); ++j) {
    std::copy_n(l.weight().data() + map[j] * in, in, n.weight().data() + j * in);
    if (o.bias) n.bias()[j] = l.bias()[map[j]];
  }
  return n;
}

// A linear layer like l reading a flattened C x H x W input (hw = H * W) whose channel j is old channel
// map[j], weights times scale[j]; the flatten order (channel-major, as NCHW) fixes where each block goes.
inline train::linear linear_select_inputs(const train::linear& l, const std::vector<std::size_t>& map,
                                          const std::vector<float>& scale, std::size_t hw) {
  auto o = l.options();
  const std::size_t old_in = o.in_features;
  o.in_features = map.size() * hw;
  train::linear n(o);
  for (std::size_t f = 0; f < o.out_features; ++f)
    for (std::size_t j = 0; j < map.size(); ++j)
      for (std::size_t p = 0; p < hw; ++p)
        n.weight().data()[f * o.in_features + j * hw + p] = l.weight().data()[f * old_in + map[j] * hw + p] * scale[j];
  if (o.bias) std::copy(l.bias().begin(), l.bias().end(), n.bias().begin());
  return n;
}

// How consumers' input weights change: divided by the number of copies of their channel (replication,
// function-preserving) or kept (selection).
enum class channel_scaling { divide_replicas, keep };

// Carries out a plan from plan_channels on a (whose groups cg describes): roots and channel-wise layers
// first, then the consumers (a convolution can be both, and the two changes compose).
inline void apply_channels(architecture& a, const channel_groups& cg, const channel_plan& p, channel_scaling s) {
  for (std::size_t i = 0; i < p.groups.size(); ++i) {
    const auto& map = p.maps[i];
    for (node_id m : cg.members[p.groups[i]]) {
      train::layer& l = a.layer(m);
      if (cg.roles[m] == channel_role::dense_root) {
        a.set_layer(m, conv_select_outputs(*l.get_if<train::conv2d>(), map));
      } else if (cg.roles[m] == channel_role::linear_root) {
        a.set_layer(m, linear_select_outputs(*l.get_if<train::linear>(), map));
      } else if (const auto* b = l.get_if<train::batch_norm>()) {
        a.set_layer(m, batch_norm_select(*b, map));
      } else if (const auto* c = l.get_if<train::conv2d>()) {
        a.set_layer(m, depthwise_select(*c, map));
      }
    }
  }
  std::vector<char> done(a.size(), 0);
  for (std::size_t i = 0; i < p.groups.size(); ++i) {
    const std::size_t g = p.groups[i];
    const auto& map = p.maps[i];
    std::vector<std::size_t> copies(cg.channels(g), 0);
    for (std::size_t j : map) ++copies[j];
    std::vector<float> scale(map.size(), 1.0f);
    if (s == channel_scaling::divide_replicas)
      for (std::size_t j = 0; j < map.size(); ++j) scale[j] = 1.0f / static_cast<float>(copies[map[j]]);
    for (node_id m : cg.members[g])
      for (node_id c : a.consumers(m)) {
        if (cg.roles[c] == channel_role::member || done[c]) continue;
        if (cg.roles[c] == channel_role::dense_root) {
          a.set_layer(c, conv_select_inputs(*a.layer(c).get_if<train::conv2d>(), map, scale));
          done[c] = 1;
        } else if (cg.roles[c] == channel_role::linear_root) {
          const std::size_t hw = cg.shapes[m][2] * cg.shapes[m][3];
          a.set_layer(c, linear_select_inputs(*a.layer(c).get_if<train::linear>(), map, scale, hw));
          done[c] = 1;
        }
      }
  }
}

// Widens the input of a consumer (dense conv or linear) of a tensor that grows from old_c to new_c
// channels by appending channels: the new channels' weights are zero, so its output is unchanged.
inline train::layer extend_input_with_zeros(const train::layer& l, std::size_t old_c, std::size_t new_c, std::size_t hw) {
  std::vector<std::size_t> map(new_c);
  std::vector<float> scale(new_c, 1.0f);
  for (std::size_t j = 0; j < new_c; ++j) {
    map[j] = j < old_c ? j : 0;
    if (j >= old_c) scale[j] = 0.0f;
  }
  if (const auto* c = l.get_if<train::conv2d>()) return conv_select_inputs(*c, map, scale);
  return linear_select_inputs(*l.get_if<train::linear>(), map, scale, hw);
}

// The sites of operators that change a channel group's width (widen, shrink): dense-conv roots of
// groups whose channel count `accept`s, and whose channels can be remapped by `probe(count)` (each
// group is planned once).
template <class Accept, class Probe>
std::vector<site> resizable_group_sites(const architecture& a, Accept accept, Probe probe) {
  std::vector<site> out;
  const auto cg = find_channel_groups(a);
  std::vector<char> tried(cg.members.size(), 0), ok(cg.members.size(), 0);
  for (node_id v = 1; v < a.size(); ++v) {
    if (cg.roles[v] != channel_role::dense_root) continue;
    const std::size_t g = cg.of[v], c = cg.channels(g);
    if (!accept(c)) continue;
    if (!tried[g]) {
      tried[g] = 1;
      ok[g] = plan_channels(a, cg, g, probe(c)).has_value() ? 1 : 0;
    }
    if (ok[g]) out.push_back({v});
  }
  return out;
}

}  // namespace nas::morphism::detail
