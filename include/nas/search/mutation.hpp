// The variation of LEMONADE and NASH (Elsken et al. 2019, Algorithm 1, line 9): a child is its parent
// changed by one random network morphism (function-preserving or approximate), so it starts with the
// parent's weights. A moo::mutation: it declines ("no child here") when no operator applies or every
// child it built was over the size caps. An approximate child carries its parent as the teacher to be
// distilled from before training.
// Example:
//   nas::morphism_mutation m{nas::morphism::all_operators_sampler({.max_parameters = 200'000})};
//   moo::evolver<nas::morphism_mutation, moo::nondominated_survival, ...> ...
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/rng.hpp"
#include "nas/morphism/sampler.hpp"
#include "nas/search/candidate.hpp"
#include "nas/search/space.hpp"

namespace nas {

namespace morphism {

// The names sampler_from_names accepts, in the order of all_operators_sampler.
inline std::vector<std::string> operator_names() {
  return all_operators_sampler().names();
}

// A uniform sampler over the named operators (names as in operator_names(), e.g. "widen_conv"); an
// unknown or repeated name is a value_error listing the known ones.
inline operator_sampler sampler_from_names(const std::vector<std::string>& names, sampler_options o = {}) {
  if (names.empty()) throw moo::value_error("sampler_from_names: no operator named");
  operator_sampler s(o);
  std::vector<std::string> seen;
  for (const auto& n : names) {
    for (const auto& p : seen)
      if (p == n) throw moo::value_error(moo::detail::message("sampler_from_names: operator '", n, "' named twice"));
    seen.push_back(n);
    bool found = false;
    auto try_add = [&](auto op) {
      if (!found && op.name() == n) {
        s.add(op);
        found = true;
      }
    };
    try_add(insert_conv_block{});
    try_add(insert_separable_block{});
    try_add(widen_conv{});
    try_add(add_residual_skip{});
    try_add(add_concat_skip{});
    try_add(split_conv{});
    try_add(add_convex_branch{});
    try_add(remove_layer{});
    try_add(shrink_conv{});
    try_add(remove_skip{});
    if (!found) {
      std::string known;
      for (const auto& k : operator_names()) known += (known.empty() ? "" : ", ") + k;
      throw moo::value_error(moo::detail::message("sampler_from_names: unknown operator '", n, "' (known: ", known, ")"));
    }
  }
  return s;
}

}  // namespace morphism

struct morphism_mutation {
  morphism::operator_sampler sampler = morphism::all_operators_sampler();

  // One child of `parent` by one random morphism, or nullopt when none could be made.
  template <class Space>
  std::optional<candidate> operator()(const Space&, const candidate& parent, moo::rng& r) const {
    auto o = sampler(parent.net, r);
    if (!o) return std::nullopt;
    candidate c{.net = std::move(o->child),
                .id = network_space::new_id(r),
                .parent = parent.id,
                .op = std::move(o->operator_name),
                .function_preserving = o->function_preserving,
                .epochs = parent.epochs};
    if (!c.function_preserving) c.teacher = parent.net;
    return c;
  }
};

}  // namespace nas
