// The network_operator concept shared by function-preserving morphisms (Wei et al. 2016; Chen et al.
// 2016, Net2Net) and approximate ones (Elsken et al. 2019, LEMONADE): an operator lists the sites where
// it applies to a parent and builds a child at one of them, changing only what it touches so the child
// inherits every other weight. Also the small helpers the operators share.
#pragma once

#include <cmath>
#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/rng.hpp"
#include "nas/graph/architecture.hpp"
#include "nas/train/layer.hpp"

namespace nas::morphism {

using graph::architecture;
using graph::no_node;
using graph::node_id;

// Where an operator applies: a node, for two-node operators (skips) the node the new edge starts from,
// and for operators on a node's inputs the input slot.
struct site {
  node_id node = no_node;
  node_id from = no_node;
  std::size_t slot = 0;
  friend bool operator==(const site&, const site&) = default;
};

// An operator on architectures. sites(parent) lists every place it applies (empty when none);
// apply(parent, site, rng) returns the child for one of those sites (the parent is not changed) and
// throws moo::value_error for a site that is not in the list. function_preserving says whether the
// child computes the parent's function in eval mode (up to float rounding).
template <class M>
concept network_operator = requires(const M& m, const architecture& a, const site& s, moo::rng& r) {
  { m.name() } -> std::convertible_to<std::string_view>;
  { m.sites(a) } -> std::same_as<std::vector<site>>;
  { m.apply(a, s, r) } -> std::same_as<architecture>;
  { M::function_preserving } -> std::convertible_to<bool>;
};

namespace detail {

// Throws value_error unless s is one of the operator's sites on a.
template <class M>
void require_site(const M& m, const architecture& a, const site& s) {
  const auto all = m.sites(a);
  for (const auto& t : all)
    if (t == s) return;
  throw moo::value_error(moo::detail::message(m.name(), ": node ", s.node < a.size() ? a.label(s.node) : std::string("?"),
                                              " (from ", s.from, ", slot ", s.slot, ") is not a site of this operator"));
}

// True if node v (not the input) holds a layer of the given kind.
inline bool is_kind(const architecture& a, node_id v, std::string_view kind) {
  return v != a.input() && a.layer(v).kind() == kind;
}

// Sets a batch norm to the identity in eval mode for inputs with the given per-channel statistics:
// running mean m, running variance s2, gamma = sqrt(s2 + eps), beta = m, so y = x exactly up to float
// rounding, and in training mode on data with these statistics it is close to the identity too.
inline void identity_batch_norm(train::batch_norm& b, const std::vector<double>& mean, const std::vector<double>& var) {
  const double eps = b.options().eps;
  for (std::size_t c = 0; c < b.options().channels; ++c) {
    const float m = static_cast<float>(mean[c]);
    const float v = static_cast<float>(std::max(var[c], 1e-4));
    b.running_mean()[c] = m;
    b.running_var()[c] = v;
    b.gamma()[c] = static_cast<float>(std::sqrt(static_cast<double>(v) + eps));
    b.beta()[c] = m;
  }
}

// Adds a node reading `inputs` without making it the output.
inline node_id add_node(architecture& a, train::layer l, std::vector<node_id> inputs) {
  const node_id out = a.output();
  const node_id v = a.add(std::move(l), std::move(inputs));
  a.set_output(out);
  return v;
}

// Adds a node reading `inputs` (which include v) and makes every other reader of v, and the output if
// it was v, read the new node instead: x -> v -> readers becomes x -> v -> new -> readers.
inline node_id splice_after(architecture& a, node_id v, train::layer l, std::vector<node_id> inputs) {
  const node_id w = add_node(a, std::move(l), std::move(inputs));
  a.redirect_consumers(v, w, w);
  return w;
}

}  // namespace detail
}  // namespace nas::morphism
