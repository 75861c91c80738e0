// The baselines LEMONADE is measured against (Elsken et al. 2019, sec. 5, RQ1): the same morphisms
// without Lamarckian inheritance (each child's weights redrawn and trained from scratch for the same
// budget), and acceptance without a density estimate (a uniform random subset of the children).
// Combined with moo::random_mating (uniform parents) they give random search over the same operators.
// Example (LEMONADE without inheritance):
//   moo::evolver<nas::scratch_mutation, moo::nondominated_survival, moo::kde_mating<C>, moo::kde_screening<C>>
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "moo/core/concepts.hpp"
#include "moo/core/error.hpp"
#include "moo/core/rng.hpp"
#include "nas/graph/architecture.hpp"
#include "nas/search/candidate.hpp"
#include "nas/search/mutation.hpp"
#include "nas/train/layers/batch_norm.hpp"
#include "nas/train/layers/conv2d.hpp"
#include "nas/train/layers/linear.hpp"

namespace nas {

// Redraws every convolution and linear layer's weights as a new layer would have them (PyTorch's
// defaults) and resets every batch norm (gamma 1, beta 0, mean 0, variance 1): the architecture stays,
// what it learned is gone.
inline void reinitialise(graph::architecture& a, moo::rng& r) {
  for (graph::node_id v = 0; v < a.size(); ++v) {
    if (!a.has_layer(v)) continue;
    auto& l = a.layer(v);
    if (const auto* c = l.get_if<train::conv2d>()) a.set_layer(v, train::conv2d(c->options(), r));
    else if (const auto* f = l.get_if<train::linear>()) a.set_layer(v, train::linear(f->options(), r));
    else if (const auto* b = l.get_if<train::batch_norm>()) a.set_layer(v, train::batch_norm(b->options()));
  }
}

// A morphism child whose weights are redrawn: no inheritance, no distillation; trained from scratch
// with the children's budget.
struct scratch_mutation {
  morphism_mutation morphisms;

  template <class Space>
  std::optional<candidate> operator()(const Space& s, const candidate& parent, moo::rng& r) const {
    auto c = morphisms(s, parent, r);
    if (!c) return c;
    reinitialise(c->net, r);
    c->teacher.reset();
    c->epochs = 0.0;
    return c;
  }
};

// Accepts `accept` of the candidates uniformly at random (all of them when there are no more).
struct uniform_screening {
  std::size_t accept = 1;

  template <class G>
  std::vector<std::size_t> screen(const moo::population_view<G>&, std::span<const G> candidates, moo::rng& r) const {
    if (accept == 0) throw moo::value_error("uniform_screening: accept must be positive");
    std::vector<std::size_t> idx(candidates.size());
    for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    if (accept >= idx.size()) return idx;
    for (std::size_t i = 0; i < accept; ++i) std::swap(idx[i], idx[i + static_cast<std::size_t>(r.index(idx.size() - i))]);
    idx.resize(accept);
    std::sort(idx.begin(), idx.end());
    return idx;
  }
};

}  // namespace nas
