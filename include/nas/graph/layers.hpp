// What the graph module knows about each layer kind of the backend (plus convex_merge): its user name,
// a one-line description for DOT labels and messages, and the arrays that make up its state (trainable
// parameters and batch-norm running statistics), which the weights file stores.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "moo/core/error.hpp"
#include "nas/graph/convex_merge.hpp"
#include "nas/train/layer.hpp"

namespace nas::graph {

// The name a layer was constructed with ("" if none), recovered from its label "kind 'name'".
inline std::string layer_name(const train::layer& l) {
  const std::string lab = l.label();
  const std::string_view k = l.kind();
  if (lab.size() < k.size() + 3 || lab.compare(0, k.size(), k) != 0) return {};
  return lab.substr(k.size() + 2, lab.size() - k.size() - 3);
}

// True for a conv2d with groups == 1 (every output reads every input channel).
inline bool is_dense_conv(const train::layer& l) {
  const auto* c = l.get_if<train::conv2d>();
  return c != nullptr && c->options().groups == 1;
}

// True for a depthwise conv2d with multiplier 1 (groups == in == out): a per-channel map.
inline bool is_depthwise_conv(const train::layer& l) {
  const auto* c = l.get_if<train::conv2d>();
  return c != nullptr && c->options().groups > 1 && c->options().groups == c->options().in_channels &&
         c->options().out_channels == c->options().in_channels;
}

// A short description: "conv2d 3x3 8->16 s1 p1", "batch_norm 16", "max_pool2d 2x2 s2", "linear 16->10".
inline std::string describe(const train::layer& l) {
  using moo::detail::message;
  if (const auto* c = l.get_if<train::conv2d>()) {
    const auto& o = c->options();
    std::string s = message("conv2d ", o.kernel, "x", o.kernel, " ", o.in_channels, "->", o.out_channels, " s",
                            o.stride, " p", o.padding);
    if (o.groups > 1) s += message(" g", o.groups);
    if (!o.bias) s += " nobias";
    return s;
  }
  if (const auto* b = l.get_if<train::batch_norm>()) return message("batch_norm ", b->options().channels);
  if (const auto* p = l.get_if<train::max_pool2d>())
    return message("max_pool2d ", p->options().kernel, "x", p->options().kernel, " s",
                   p->options().stride == 0 ? p->options().kernel : p->options().stride);
  if (const auto* p = l.get_if<train::avg_pool2d>())
    return message("avg_pool2d ", p->options().kernel, "x", p->options().kernel, " s",
                   p->options().stride == 0 ? p->options().kernel : p->options().stride);
  if (const auto* f = l.get_if<train::linear>())
    return message("linear ", f->options().in_features, "->", f->options().out_features);
  if (const auto* m = l.get_if<convex_merge>()) return message("convex_merge alpha=", m->alpha());
  return std::string(l.kind());
}

// A named array of a layer's state.
struct state_array {
  std::string name;
  std::span<float> values;
};

// Every array that defines a layer's function: its parameters, and for batch norm also the running
// mean and variance (not trainable, but eval-mode outputs depend on them).
inline std::vector<state_array> state_arrays(train::layer& l) {
  std::vector<state_array> out;
  for (auto& p : l.parameters()) {
    const auto dot = p.name.rfind('.');
    out.push_back({dot == std::string::npos ? p.name : p.name.substr(dot + 1), p.value});
  }
  if (auto* b = l.get_if<train::batch_norm>()) {
    out.push_back({"running_mean", {b->running_mean().data(), b->running_mean().size()}});
    out.push_back({"running_var", {b->running_var().data(), b->running_var().size()}});
  }
  return out;
}

}  // namespace nas::graph
