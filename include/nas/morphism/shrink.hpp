// Approximate morphism that narrows a convolution by pruning its filters with the smallest L1 norm (Li
// et al. 2017, "Pruning filters for efficient ConvNets", sec. 3.1), the inverse of Net2WiderNet: the
// channel-wise layers behind it and every consumer (also behind adds and concatenations) drop the same
// channels; convolutions joined by an add are pruned together, ranked by their summed L1 norms.
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
#include "nas/morphism/channels.hpp"
#include "nas/morphism/morphism.hpp"

namespace nas::morphism {

// Settings of shrink_conv.
struct shrink_options {
  // Fraction of the filters dropped (at least one, at most all but one).
  double fraction = 0.25;
};

// Drops the lowest-L1 filters of a dense convolution and everything in lockstep with them. Sites:
// dense convolutions with at least two filters whose width can change.
struct shrink_conv {
  static constexpr bool function_preserving = false;
  shrink_options options = {};

  // The operator's name in reports and sampler statistics.
  std::string_view name() const { return "shrink_conv"; }

  // Every site of this operator on a (see the type comment).
  std::vector<site> sites(const architecture& a) const {
    return detail::resizable_group_sites(
        a, [](std::size_t c) { return c >= 2; },
        [](std::size_t c) {
          std::vector<std::size_t> keep(c - 1);  // probe: drop the last channel
          std::iota(keep.begin(), keep.end(), std::size_t{0});
          return keep;
        });
  }

  // The child of parent at site s (value_error if s is not a site).
  architecture apply(const architecture& parent, const site& s, moo::rng&) const {
    detail::require_site(*this, parent, s);
    const auto cg = detail::find_channel_groups(parent);
    const std::size_t g = cg.of[s.node], c = cg.channels(g);
    // L1 norm of each output channel, summed over the group's roots (convolutions and linear layers).
    std::vector<double> l1(c, 0.0);
    for (node_id m : cg.members[g]) {
      const train::layer& l = parent.layer(m);
      const float* w = nullptr;
      std::size_t per = 0;
      if (cg.roles[m] == detail::channel_role::dense_root) {
        const auto& conv = *l.get_if<train::conv2d>();
        w = conv.weight().data();
        per = conv.weight().size() / c;
      } else if (cg.roles[m] == detail::channel_role::linear_root) {
        const auto& fc = *l.get_if<train::linear>();
        w = fc.weight().data();
        per = fc.weight().size() / c;
      }
      for (std::size_t j = 0; w != nullptr && j < c; ++j)
        for (std::size_t t = 0; t < per; ++t) l1[j] += std::abs(static_cast<double>(w[j * per + t]));
    }
    const auto drop = std::clamp<std::size_t>(static_cast<std::size_t>(std::floor(options.fraction * double(c))), 1, c - 1);
    std::vector<std::size_t> order(c);
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return l1[x] > l1[y]; });
    std::vector<std::size_t> keep(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(c - drop));
    std::sort(keep.begin(), keep.end());
    std::string why;
    const auto plan = detail::plan_channels(parent, cg, g, std::move(keep), no_node, &why);
    if (!plan) throw moo::value_error(moo::detail::message(name(), ": cannot shrink ", parent.label(s.node), ": ", why));
    architecture child = parent;
    detail::apply_channels(child, cg, *plan, detail::channel_scaling::keep);
    return child;
  }
};

}  // namespace nas::morphism
