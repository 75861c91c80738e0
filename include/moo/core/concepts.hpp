// The extension points of moo as C++20 concepts. Each states its contract in the comment above it.
// The evolve loop (algorithm/evolution.hpp) knows its policies only through these concepts.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
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
// It takes the genome by const reference, or, for a Lamarckian problem (below), by mutable reference.
template <class P>
concept problem = requires(const P& p) {
  typename P::genome_type;
  { p.num_objectives() } -> std::convertible_to<std::size_t>;
  p.space();
} && search_space<std::remove_cvref_t<decltype(std::declval<const P&>().space())>> &&
    requires(const P& p, typename P::genome_type& x, std::span<double> out) { p.evaluate(x, out); };

// A search space that describes itself (optional): description() is equal for two spaces exactly when
// their genomes fit each other (genome length, bounds, input shape). A checkpoint stores it, and a
// resume with a space of another description is refused instead of failing later.
template <class S>
concept described_space = search_space<S> && requires(const S& s) {
  { s.description() } -> std::convertible_to<std::string>;
};

// A search space where several genomes can name one solution (a super-network configuration's genes of
// blocks beyond a stage's depth are unused) and canonical(g) gives the one form of g's solution. Duplicate
// elimination (evolver's eliminate_duplicates) and LINAS's proposals compare and keep canonical forms, as
// pymoo's custom duplicate elimination would, so a converged search does not spend evaluations on
// genomes that differ only where nothing is read.
template <class S>
concept canonical_space = search_space<S> && requires(const S& s, const typename S::genome_type& g) {
  { s.canonical(g) } -> std::same_as<typename S::genome_type>;
};

template <problem P>
using genome_of = typename P::genome_type;

// A Lamarckian problem's evaluation may change the genome (training changes a network's weights):
// evaluate(genome_type&, out) exists and evaluate(const genome_type&, out) does not. The changed genome
// is what joins the population and what its children inherit (Elsken et al. 2019, LEMONADE, sec. 3).
template <class P>
concept lamarckian_problem =
    problem<P> && !requires(const P& p, const typename P::genome_type& x, std::span<double> out) { p.evaluate(x, out); };

// A problem whose genomes are only read by evaluation.
template <class P>
concept plain_problem = problem<P> && !lamarckian_problem<P>;

// A variation (crossover + mutation) makes two children from two parents inside the space, drawing
// only from the given rng.
template <class V, class S>
concept variation = search_space<S> && requires(V& v, const S& s, const typename S::genome_type& a,
                                                 const typename S::genome_type& b, rng& r) {
  { v(s, a, b, r) } -> std::same_as<std::array<typename S::genome_type, 2>>;
};

// A variation that can make the first of its two children alone (saves work when one child per mating
// is wanted, e.g. MOEA/D); child(s, a, b, r) must equal the first child of v(s, a, b, r).
template <class V, class S>
concept single_child_variation = variation<V, S> && requires(V& v, const S& s, const typename S::genome_type& a,
                                                              const typename S::genome_type& b, rng& r) {
  { v.child(s, a, b, r) } -> std::same_as<typename S::genome_type>;
};

// A mutation (unary variation) makes one child from one parent, or declines (nullopt: "no child here",
// e.g. no morphism applies or every child is over a size cap). It draws only from the given rng.
template <class V, class S>
concept mutation = search_space<S> && requires(V& v, const S& s, const typename S::genome_type& a, rng& r) {
  { v(s, a, r) } -> std::same_as<std::optional<typename S::genome_type>>;
};

// Every evaluation told to the loop so far, in the order told (failed evaluations left out): one genome
// and one row of objectives each. What a batch proposal learns from.
template <class G>
struct measurement_view {
  std::span<const G> genomes;
  const matrix& objectives;
  std::size_t size() const { return genomes.size(); }
};

// A batch proposal makes a whole generation's candidates at once from every measurement so far, not
// from parents (LINAS, Cummings et al. 2022, Algorithm 1: fit predictors on all measurements, search on
// the predicted objectives, propose the inner search's final population): propose(space, history, n, r)
// gives between 1 and n genomes of the space, drawing only from r. The loop keeps the history for it.
template <class V, class S>
concept batch_proposal = search_space<S> && requires(V& v, const S& s, const measurement_view<typename S::genome_type>& h,
                                                      std::size_t n, rng& r) {
  { v.propose(s, h, n, r) } -> std::same_as<std::vector<typename S::genome_type>>;
};

// What the evolve loop accepts as variation: two parents to two children, one parent to at most one,
// or a batch proposal from all measurements.
template <class V, class S>
concept variation_policy = variation<V, S> || mutation<V, S> || batch_proposal<V, S>;

// The survivors of one generation: indices into the merged parents+children set, with a rank
// (lower is better; 0 = first front) and a score (higher is better within a rank, e.g. crowding)
// that mating selection uses for tournaments.
struct survivors {
  std::vector<std::size_t> index;
  std::vector<std::size_t> rank;
  std::vector<double> score;
};

// The current population as policies see it: genomes, their objectives (one row each) and ranking.
template <class G>
struct population_view {
  std::span<const G> genomes;
  const matrix& objectives;
  const survivors& ranking;
  std::size_t size() const { return genomes.size(); }
};

// A survival policy picks at most k of the rows of `objectives` (a merged population, all rows
// evaluated) and ranks them; indices are distinct unless the policy keeps slots (MOEA/D). It may be
// stateful (MOEA/D's ideal point) but draws randomness only from `r`.
template <class S>
concept survival = requires(S& s, const matrix& objectives, std::size_t k, rng& r) {
  { s.survive(objectives, k, r) } -> std::same_as<survivors>;
};

// A survival policy whose population size varies from generation to generation (e.g. the
// non-dominated set, LEMONADE): it keeps at most k, possibly fewer, and the loop accepts that.
template <class S>
concept variable_size_survival = survival<S> && requires { requires S::variable_size; };

// A survival policy that keeps its own structure (MOEA/D's neighbourhoods) may choose the parents
// itself: mate(ranking, n, r) gives n parent indices, replacing the mating policy.
template <class S>
concept mating_survival = survival<S> && requires(S& s, const survivors& r, std::size_t n, rng& g) {
  { s.mate(r, n, g) } -> std::same_as<std::vector<std::size_t>>;
};

// A survival policy that wants one child per mating (child j belongs to mating j, so survival knows
// which subproblem each child came from): `static constexpr bool one_child_per_mating = true`.
template <class S>
concept one_child_survival = survival<S> && requires { requires S::one_child_per_mating; };

// A survival policy that knows its natural population size (NSGA-III's reference directions, MOEA/D's
// weights): default_population() is used when the options leave the population at 0.
template <class S>
concept sized_survival = survival<S> && requires(const S& s) {
  { s.default_population() } -> std::convertible_to<std::size_t>;
};

// A mating selection picks n parent indices (consecutive pairs mate for a two-parent variation; each
// is one parent for a mutation) from a ranked population.
template <class M>
concept mating = requires(M& m, const survivors& population, std::size_t n, rng& r) {
  { m.select(population, n, r) } -> std::same_as<std::vector<std::size_t>>;
};

// A mating selection that sees the genomes and objectives too (e.g. LEMONADE's choice of parents with
// probability inverse to a density estimate of their cheap objectives): select(view, n, r).
template <class M, class G>
concept population_mating = requires(M& m, const population_view<G>& population, std::size_t n, rng& r) {
  { m.select(population, n, r) } -> std::same_as<std::vector<std::size_t>>;
};

// Either kind of mating selection for genomes G.
template <class M, class G>
concept mating_for = mating<M> || population_mating<M, G>;

// A screening stage runs after variation and before evaluation: it sees the population and the
// candidate children (whose cheap objectives it may compute from their genomes) and returns the
// indices of the candidates to evaluate, distinct and increasing (LEMONADE, Algorithm 1, line 10-12:
// accept children with probability inverse to the population's density at their cheap objectives).
template <class F, class G>
concept screening = requires(F& f, const population_view<G>& population, std::span<const G> candidates, rng& r) {
  { f.screen(population, candidates, r) } -> std::same_as<std::vector<std::size_t>>;
};

// The screening that keeps every candidate; the loop skips the stage for it (no cost, no randomness).
struct keep_all {
  template <class G>
  std::vector<std::size_t> screen(const population_view<G>&, std::span<const G> candidates, rng&) const {
    std::vector<std::size_t> all(candidates.size());
    for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
    return all;
  }
};

// Cheap objectives of a genome (computed without evaluation, e.g. parameters and MACs of a network):
// size() values written by c(g, out), all minimised. Density-based selection works on them.
template <class C, class G>
concept cheap_objectives = requires(const C& c, const G& g, std::span<double> out) {
  { c.size() } -> std::convertible_to<std::size_t>;
  c(g, out);
};

// A predictor (surrogate model) learns one objective from measured points: fit(x, y) with one row of
// features per point (x.rows() == y.size()), then predict(x) gives one value per row of x. fit throws
// moo::value_error on data it cannot learn from (non-finite values, constant targets, too few points).
// moo::ridge (moo/surrogate/ridge.hpp) is one; a user's Gaussian process plugs in the same way.
template <class M>
concept predictor = requires(M& m, const M& cm, const matrix& x, std::span<const double> y) {
  m.fit(x, y);
  { cm.predict(x) } -> std::same_as<std::vector<double>>;
};

}  // namespace moo

namespace moo {

// An executor evaluates a batch of genomes of problem P and returns one row of objectives per genome,
// in order. If some evaluations throw it throws moo::evaluation_error keeping the other results.
template <class E, class P>
concept executor = plain_problem<P> && requires(E& e, const P& p, std::span<const genome_of<P>> xs) {
  { e.evaluate(p, xs) } -> std::same_as<matrix>;
};

// An executor for a Lamarckian problem evaluates a batch in place: each genome may be changed by its
// evaluation (trained weights) and comes back changed, also from another thread or machine.
template <class E, class P>
concept lamarckian_executor = lamarckian_problem<P> && requires(E& e, const P& p, std::span<genome_of<P>> xs) {
  { e.evaluate(p, xs) } -> std::same_as<matrix>;
};

// Either kind, as the problem requires.
template <class E, class P>
concept executor_for = executor<E, P> || lamarckian_executor<E, P>;

// One round of an evaluation that runs in rounds (successive halving): spend `budget` more units of
// work (epochs) on the genome, on a schedule `horizon` units long; `restart` starts a new schedule
// (a learning-rate restart) at this round, otherwise the genome's schedule goes on where it stopped.
struct budget_round {
  double budget = 0.0;
  double horizon = 0.0;
  bool restart = false;
};

// A Lamarckian problem whose evaluation can run in rounds: evaluate(g, round, out) continues g where
// its last round stopped (everything that continuing needs, e.g. weights, optimizer momentum and
// schedule position, is kept in the genome, so a round after a checkpoint continues bit for bit), spends
// round.budget on it and writes its objectives as they stand after the round.
template <class P>
concept resumable_problem =
    lamarckian_problem<P> && requires(const P& p, genome_of<P>& g, const budget_round& r, std::span<double> out) {
      p.evaluate(g, r, out);
    };

// A budget allocation decides how the loop evaluates a generation's batch with an executor:
// b.evaluate(ex, p, xs) returns one row of objectives per genome of xs, in order (Lamarckian: xs are
// changed in place), calling ex.evaluate once (moo::equal_budget, the default) or in several rounds on
// sub-batches (moo::successive_halving). Failures come as one moo::evaluation_error over the whole batch.
template <class B, class E, class P>
concept budget_allocation =
    executor_for<E, P> &&
    (requires(const B& b, E& e, const P& p, std::span<const genome_of<P>> xs) {
      { b.evaluate(e, p, xs) } -> std::same_as<matrix>;
    } || requires(const B& b, E& e, const P& p, std::span<genome_of<P>> xs) {
      { b.evaluate(e, p, xs) } -> std::same_as<matrix>;
    });

}  // namespace moo
