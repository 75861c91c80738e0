// The variation of NASH hill climbing (Elsken, Metzen & Hutter 2018, "Simple and efficient architecture
// search for CNNs", Algorithm 1): of each `neighbours` consecutive calls (one step's batch), the first
// returns the parent itself to be trained on, the others a child made by `morphisms` random morphisms
// applied one after the other (uniform over the applicable operators of the sampler), which inherits
// the parent's weights. A moo::mutation; it declines only when not one morphism applies. Its call
// counter travels in checkpoints (save/load).
// Example:
//   nas::nash_mutation m{.sampler = nas::morphism::sampler_from_names(nas::nash_operators(false)),
//                        .morphisms = 5, .neighbours = 8};
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/rng.hpp"
#include "moo/io/serialize.hpp"
#include "nas/morphism/sampler.hpp"
#include "nas/search/candidate.hpp"
#include "nas/search/mutation.hpp"
#include "nas/search/space.hpp"

namespace nas {

// NASH's operators (sec. 4.1 of the study of Yüce et al. 2018): widen a conv, insert Conv-BN-ReLU, a
// convex-combination branch, a concatenation skip, split a conv; plus SepConv-BN-ReLU when `separable`.
inline std::vector<std::string> nash_operators(bool separable) {
  std::vector<std::string> ops{"widen_conv", "insert_conv_bn_relu", "add_convex_branch", "add_skip_concat", "split_conv"};
  if (separable) ops.emplace_back("insert_separable_block");
  return ops;
}

struct nash_mutation {
  morphism::operator_sampler sampler = morphism::sampler_from_names(nash_operators(false));
  std::size_t morphisms = 5;   // n_NM: morphisms per child
  std::size_t neighbours = 8;  // n_neigh: calls per step, the parent's re-training included
  std::uint64_t calls_ = 0;    // calls so far (leave as is; checkpointed)

  template <class Space>
  std::optional<candidate> operator()(const Space&, const candidate& parent, moo::rng& r) {
    if (neighbours == 0 || morphisms == 0)
      throw moo::value_error(moo::detail::message("nash_mutation: neighbours (", neighbours, ") and morphisms (",
                                                  morphisms, ") must be positive"));
    const bool itself = calls_++ % neighbours == 0;
    candidate c{.net = parent.net, .id = network_space::new_id(r), .parent = parent.id, .op = "parent",
                .function_preserving = true, .epochs = parent.epochs};
    if (itself) return c;
    std::string ops;
    for (std::size_t k = 0; k < morphisms; ++k) {
      auto o = sampler(c.net, r);
      if (!o) break;
      c.net = std::move(o->child);
      ops += (ops.empty() ? "" : "+") + o->operator_name;
      c.function_preserving = c.function_preserving && o->function_preserving;
    }
    if (ops.empty()) return std::nullopt;
    c.op = std::move(ops);
    if (!c.function_preserving) c.teacher = parent.net;
    return c;
  }

  void save(std::ostream& os) const { moo::io::write(os, calls_); }
  void load(std::istream& is) { calls_ = moo::io::read<std::uint64_t>(is); }
};

}  // namespace nas
