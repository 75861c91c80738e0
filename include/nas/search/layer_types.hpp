// The layer types of a network as the successive-halving study reports them (Yüce et al. 2018,
// table 2): convolution blocks (dense convolutions), merging layers (add, concat, convex merge) and
// separable blocks (depthwise convolutions; the 1x1 convolution right after one belongs to the block).
// Example:
//   auto t = nas::count_layer_types(net); std::printf("%.0f%% merging\n", 100 * t.share_merging());
#pragma once

#include <string>
#include <cstddef>

#include "nas/graph/architecture.hpp"
#include "nas/train/layers/conv2d.hpp"

namespace nas {

struct layer_types {
  std::size_t conv = 0;       // dense convolutions (not the pointwise half of a separable block)
  std::size_t merging = 0;    // add, concat, convex_merge
  std::size_t separable = 0;  // depthwise convolutions, one per separable block
  std::size_t total() const { return conv + merging + separable; }
  double share_conv() const { return total() == 0 ? 0.0 : double(conv) / double(total()); }
  double share_merging() const { return total() == 0 ? 0.0 : double(merging) / double(total()); }
  double share_separable() const { return total() == 0 ? 0.0 : double(separable) / double(total()); }
};

inline layer_types count_layer_types(const graph::architecture& a) {
  layer_types t;
  auto depthwise = [&](graph::node_id v) {
    if (!a.has_layer(v)) return false;
    const auto* c = a.layer(v).get_if<train::conv2d>();
    return c != nullptr && c->options().groups > 1 && c->options().groups == c->options().in_channels;
  };
  for (graph::node_id v = 1; v < a.size(); ++v) {
    const std::string k = a.kind(v);
    if (k == "add" || k == "concat" || k == "convex_merge") {
      ++t.merging;
    } else if (k == "conv2d") {
      if (depthwise(v)) {
        ++t.separable;
        continue;
      }
      const auto in = a.inputs(v);
      if (in.size() == 1 && depthwise(in[0])) continue;  // the pointwise half of a separable block
      ++t.conv;
    }
  }
  return t;
}

}  // namespace nas
