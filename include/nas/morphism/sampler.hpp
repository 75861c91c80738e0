// Random morphisms for evolutionary search (Elsken et al. 2019, LEMONADE, Algorithm 1, line 9): draw an
// applicable operator (uniformly or with user weights), a random site of it, build the child, and check
// it. A child that is invalid, whose output shape differs from its parent's, or that is over an optional
// parameter or MAC cap is redrawn, so the search never receives an invalid, reshaped or oversized network
// and never crashes on one.
#pragma once

#include <cmath>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/rng.hpp"
#include "nas/graph/architecture.hpp"
#include "nas/morphism/branch.hpp"
#include "nas/morphism/insert.hpp"
#include "nas/morphism/morphism.hpp"
#include "nas/morphism/remove.hpp"
#include "nas/morphism/shrink.hpp"
#include "nas/morphism/skip.hpp"
#include "nas/morphism/widen.hpp"

namespace nas::morphism {

// Caps and patience of a sampler.
struct sampler_options {
  std::size_t max_parameters = 0;  // children with more trainable parameters are redrawn (0: no cap)
  std::size_t max_macs = 0;        // children with more MACs per image are redrawn (0: no cap)
  std::size_t max_attempts = 16;   // children built before giving up
};

// A child and how it was made.
struct offspring {
  architecture child;
  std::string operator_name;
  site where;
  bool function_preserving = true;
  std::size_t attempts = 1;  // children built, including redrawn ones
  std::size_t over_cap = 0;  // children redrawn for exceeding a cap
  std::size_t refused = 0;   // draws where the operator threw or built an invalid graph (a bug if nonzero)
  std::size_t reshaped = 0;  // children redrawn because their output shape differed from the parent's
};

// Draws random morphisms from a weighted set of operators.
// Example:
//   auto s = function_preserving_sampler({.max_parameters = 200000});
//   if (auto o = s(parent, rng)) children.push_back(std::move(o->child));
class operator_sampler {
 public:
  explicit operator_sampler(sampler_options o = {}) : opt_(o) {}

  // Adds an operator drawn with probability proportional to `weight` among the applicable ones.
  template <network_operator M>
  operator_sampler& add(M op, double weight = 1.0) {
    if (!(weight >= 0.0) || !std::isfinite(weight))
      throw moo::value_error(moo::detail::message("operator_sampler: weight ", weight, " of ", op.name(),
                                                  " must be finite and non-negative"));
    entries_.push_back({std::string(op.name()), weight, M::function_preserving,
                        [op](const architecture& a) { return op.sites(a); },
                        [op](const architecture& a, const site& s, moo::rng& r) { return op.apply(a, s, r); }});
    return *this;
  }

  // Number of operators.
  std::size_t size() const { return entries_.size(); }
  // The caps and patience.
  const sampler_options& options() const { return opt_; }
  // The operators' names, in the order they were added.
  std::vector<std::string> names() const {
    std::vector<std::string> out;
    for (const auto& e : entries_) out.push_back(e.name);
    return out;
  }

  // A valid child within the caps, or nullopt when no operator applies or max_attempts children were
  // all invalid or over a cap.
  std::optional<offspring> operator()(const architecture& parent, moo::rng& r) const {
    std::vector<std::optional<std::vector<site>>> sites(entries_.size());
    std::vector<double> w(entries_.size());
    for (std::size_t i = 0; i < entries_.size(); ++i) w[i] = entries_[i].weight;
    std::size_t attempts = 0, over_cap = 0, refused = 0, reshaped = 0;
    while (attempts < opt_.max_attempts) {
      const auto i = draw(w, r);
      if (!i) return std::nullopt;
      if (!sites[*i]) sites[*i] = entries_[*i].sites(parent);
      if (sites[*i]->empty()) {
        w[*i] = 0.0;  // not applicable to this parent: draw among the others
        continue;
      }
      const site s = (*sites[*i])[static_cast<std::size_t>(r.index(sites[*i]->size()))];
      ++attempts;
      std::optional<architecture> child;
      try {
        child = entries_[*i].apply(parent, s, r);
        child->validate();
        // A child must compute the same kind of output as its parent (an approximate morphism that
        // removes the last layer before the head could change it): such a site is not offered.
        if (child->output_shape() != parent.output_shape()) {
          ++reshaped;
          continue;
        }
      } catch (const moo::error&) {
        ++refused;  // never returned: redraw
        continue;
      }
      if ((opt_.max_parameters != 0 && child->parameter_count() > opt_.max_parameters) ||
          (opt_.max_macs != 0 && child->macs() > opt_.max_macs)) {
        ++over_cap;
        continue;
      }
      return offspring{std::move(*child), entries_[*i].name, s, entries_[*i].preserving, attempts, over_cap, refused, reshaped};
    }
    return std::nullopt;
  }

 private:
  // A type-erased operator with its weight.
  struct entry {
    std::string name;
    double weight;
    bool preserving;
    std::function<std::vector<site>(const architecture&)> sites;
    std::function<architecture(const architecture&, const site&, moo::rng&)> apply;
  };

  // An index drawn with probability proportional to w (nullopt when all weights are zero).
  static std::optional<std::size_t> draw(const std::vector<double>& w, moo::rng& r) {
    double total = 0.0;
    for (double x : w) total += x;
    if (!(total > 0.0)) return std::nullopt;
    double u = r.uniform(0.0, total);
    for (std::size_t i = 0; i < w.size(); ++i) {
      if (w[i] <= 0.0) continue;
      if (u < w[i]) return i;
      u -= w[i];
    }
    for (std::size_t i = w.size(); i-- > 0;)
      if (w[i] > 0.0) return i;
    return std::nullopt;
  }

  sampler_options opt_;
  std::vector<entry> entries_;
};

// A sampler over the seven function-preserving operators, uniformly weighted.
inline operator_sampler function_preserving_sampler(sampler_options o = {}) {
  operator_sampler s(o);
  s.add(insert_conv_block{})
      .add(insert_separable_block{})
      .add(widen_conv{})
      .add(add_residual_skip{})
      .add(add_concat_skip{})
      .add(split_conv{})
      .add(add_convex_branch{});
  return s;
}

// A sampler over all ten operators (seven function-preserving, three approximate), uniformly weighted.
inline operator_sampler all_operators_sampler(sampler_options o = {}) {
  operator_sampler s = function_preserving_sampler(o);
  s.add(remove_layer{}).add(shrink_conv{}).add(remove_skip{});
  return s;
}

}  // namespace nas::morphism
