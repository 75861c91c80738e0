// The extension points of moo as C++20 concepts. Each states its contract in the comment above it.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "moo/core/matrix.hpp"
#include "moo/core/rng.hpp"

namespace moo {

// A search space names its genome type and draws random genomes from it with the injected rng.
template <class S>
concept search_space = requires(const S& s, rng& r) {
  typename S::genome_type;
  { s.sample(r) } -> std::same_as<typename S::genome_type>;
};

// A problem maps a genome of its space to num_objectives() values, all minimised, written into `out`
// (out.size() == num_objectives()). evaluate must be safe to call concurrently on a const problem.
template <class P>
concept problem = requires(const P& p, const typename P::genome_type& x, std::span<double> out) {
  typename P::genome_type;
  { p.num_objectives() } -> std::convertible_to<std::size_t>;
  p.space();
  p.evaluate(x, out);
} && search_space<std::remove_cvref_t<decltype(std::declval<const P&>().space())>>;

template <problem P>
using genome_of = typename P::genome_type;

// A variation makes two children from two parents inside the space, drawing only from the given rng.
template <class V, class S>
concept variation = search_space<S> && requires(V& v, const S& s, const typename S::genome_type& a,
                                                 const typename S::genome_type& b, rng& r) {
  { v(s, a, b, r) } -> std::same_as<std::array<typename S::genome_type, 2>>;
};

// The survivors of one generation: indices into the merged parents+children set, with a rank
// (lower is better; 0 = first front) and a score (higher is better within a rank, e.g. crowding)
// that mating selection uses for tournaments.
struct survivors {
  std::vector<std::size_t> index;
  std::vector<std::size_t> rank;
  std::vector<double> score;
};

// A survival policy picks k of the rows of `objectives` (a merged population, all rows evaluated) and
// ranks them. It may be stateful (MOEA/D's ideal point) but draws randomness only from `r`.
template <class S>
concept survival = requires(S& s, const matrix& objectives, std::size_t k, rng& r) {
  { s.survive(objectives, k, r) } -> std::same_as<survivors>;
};

// A mating selection picks n parent indices (consecutive pairs mate) from a ranked population.
template <class M>
concept mating = requires(M& m, const survivors& population, std::size_t n, rng& r) {
  { m.select(population, n, r) } -> std::same_as<std::vector<std::size_t>>;
};

}  // namespace moo

namespace moo {

// An executor evaluates a batch of genomes of problem P and returns one row of objectives per genome,
// in order. If some evaluations throw it throws moo::evaluation_error keeping the other results.
template <class E, class P>
concept executor = problem<P> && requires(E& e, const P& p, std::span<const genome_of<P>> xs) {
  { e.evaluate(p, xs) } -> std::same_as<matrix>;
};

}  // namespace moo
