// Function-preserving widening of a convolution (Chen et al. 2016, Net2WiderNet, sec. 2.1, eq. 2-3;
// Elsken et al. 2018, NASH): new filters replicate randomly chosen existing ones, the batch norms and
// other channel-wise layers behind them copy the replicated channels' parameters and statistics, and
// every consumer, also behind adds and concatenations and after a flatten, divides the weights of each
// replicated input channel by its number of copies. Convolutions joined by an add are widened together.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <string_view>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/rng.hpp"
#include "nas/graph/architecture.hpp"
#include "nas/graph/layers.hpp"
#include "nas/morphism/channels.hpp"
#include "nas/morphism/morphism.hpp"

namespace nas::morphism {

// Settings of widen_conv.
struct widen_options {
  // New width = round(factor * old width), at least old width + 1.
  double factor = 2.0;
  // Do not widen beyond this many channels (0: no limit); convolutions already this wide are no sites.
  std::size_t max_channels = 0;
};

// Net2WiderNet on a dense convolution (groups == 1) and everything in lockstep with it. Sites: dense
// convolutions whose width can change (not feeding the output directly, not joined to the input or a
// grouped convolution).
// Example: widen_conv w{{.factor = 1.5}}; auto child = w.apply(parent, w.sites(parent).front(), rng);
struct widen_conv {
  static constexpr bool function_preserving = true;
  widen_options options = {};

  // The operator's name in reports and sampler statistics.
  std::string_view name() const { return "widen_conv"; }

  // Every site of this operator on a (see the type comment).
  std::vector<site> sites(const architecture& a) const {
    return detail::resizable_group_sites(
        a, [&](std::size_t c) { return options.max_channels == 0 || c < options.max_channels; },
        [](std::size_t c) {
          std::vector<std::size_t> map(c + 1);  // probe: replicate channel 0 once
          std::iota(map.begin(), map.end() - 1, std::size_t{0});
          return map;
        });
  }

  // The child of parent at site s (value_error if s is not a site).
  architecture apply(const architecture& parent, const site& s, moo::rng& r) const {
    detail::require_site(*this, parent, s);
    const auto cg = detail::find_channel_groups(parent);
    const std::size_t g = cg.of[s.node], c = cg.channels(g);
    std::size_t wide = std::max<std::size_t>(c + 1, static_cast<std::size_t>(std::llround(options.factor * double(c))));
    if (options.max_channels != 0) wide = std::min(wide, options.max_channels);
    std::vector<std::size_t> map(wide);
    std::iota(map.begin(), map.begin() + static_cast<std::ptrdiff_t>(c), std::size_t{0});
    for (std::size_t j = c; j < wide; ++j) map[j] = static_cast<std::size_t>(r.index(c));
    std::string why;
    const auto plan = detail::plan_channels(parent, cg, g, std::move(map), no_node, &why);
    if (!plan) throw moo::value_error(moo::detail::message(name(), ": cannot widen ", parent.label(s.node), ": ", why));
    architecture child = parent;
    detail::apply_channels(child, cg, *plan, detail::channel_scaling::divide_replicas);
    return child;
  }
};

}  // namespace nas::morphism
