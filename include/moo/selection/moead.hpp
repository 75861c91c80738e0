// MOEA/D (Zhang & Li 2007) as a survival policy of the one evolve loop, in a generational batch form:
// slot i of the population is the current solution of subproblem i (weight w_i). Each generation the
// policy picks the parents of child j itself from the neighbourhood B(j) of subproblem j (probability
// delta) or from the whole population (Li & Zhang 2009, MOEA/D-DE, Sec. III), the whole batch of
// children is evaluated together (so it can run in parallel), and then, subproblem by subproblem, child j
// updates the ideal point and replaces at most nr solutions of its pool that it improves
// (Zhang & Li 2007, Algorithm 1, Step 2.3-2.4; nr from Li & Zhang 2009).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <istream>
#include <limits>
#include <numeric>
#include <ostream>
#include <span>
#include <utility>
#include <vector>

#include "moo/core/concepts.hpp"
#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"
#include "moo/core/rng.hpp"
#include "moo/io/serialize.hpp"
#include "moo/pareto/sorting.hpp"
#include "moo/selection/decomposition.hpp"
#include "moo/selection/reference_directions.hpp"

namespace moo {

// The settings of MOEA/D. Example: moo::moead<>{{.population = 100, .survival = {{.neighbours = 20}}}}.
template <decomposition Decomposition>
struct moead_options {
  matrix weights{};                     // one weight vector per subproblem; empty = Das-Dennis for the population
  std::size_t neighbours = 20;          // T: size of each neighbourhood B(i), closest weights incl. w_i
  double neighbour_probability = 0.9;   // delta: chance that mating and replacement use B(i), else everyone
  std::size_t max_replacements = 2;     // nr: solutions one child may replace
  Decomposition decomposition{};
};

template <decomposition Decomposition = tchebycheff>
class moead_survival {
 public:
  using options = moead_options<Decomposition>;

  // MOEA/D asks for one child per subproblem: child j of a generation comes from mating j.
  static constexpr bool one_child_per_mating = true;

  moead_survival(options o = {}) : opts_(std::move(o)) {
    if (opts_.neighbour_probability < 0.0 || opts_.neighbour_probability > 1.0)
      throw value_error(detail::message("moead: neighbour_probability must be in [0, 1], got ",
                                        opts_.neighbour_probability));
    if (opts_.max_replacements == 0) throw value_error("moead: max_replacements must be positive, got 0");
  }

  // The population the weights ask for (one solution per subproblem); 0 when the weights are not given.
  std::size_t default_population() const { return opts_.weights.rows(); }

  const options& settings() const { return opts_; }
  const matrix& weights() const { return weights_; }
  const std::vector<std::vector<std::size_t>>& neighbourhoods() const { return neighbours_; }
  // The best value seen in each objective (Zhang & Li's z), over every evaluated point.
  const std::vector<double>& ideal() const { return ideal_; }

  // Parents for n / 2 matings: mating j serves subproblem j mod N and draws two distinct parents from
  // B(j) with probability delta, else from the whole population; the choice is kept for survive().
  std::vector<std::size_t> mate(const survivors& population, std::size_t n, rng& r) {
    const std::size_t size = population.index.size();
    if (size == 0 || size != weights_.rows())
      throw value_error(detail::message("moead: population of ", size, " for ", weights_.rows(), " subproblems"));
    const std::size_t matings = n / 2;
    from_neighbourhood_.assign(matings, false);
    std::vector<std::size_t> parents(n);
    for (std::size_t j = 0; j < matings; ++j) {
      const std::size_t sub = j % size;
      const bool local = r.bernoulli(opts_.neighbour_probability);
      from_neighbourhood_[j] = local;
      const auto& b = neighbours_[sub];
      const std::size_t pool = local ? b.size() : size;
      auto pick = [&](std::size_t k) { return local ? b[k] : k; };
      const std::size_t a = r.index(pool);
      std::size_t c = a;
      if (pool > 1) {
        c = r.index(pool - 1);
        if (c >= a) ++c;
      }
      parents[2 * j] = pick(a);
      parents[2 * j + 1] = pick(c);
    }
    return parents;
  }

  // First call (the initial population, k rows): sets up weights, neighbourhoods and the ideal point;
  // slot i is solution i. Later calls: rows 0..N-1 are the current solutions (slot order), the rest are
  // children, child j belonging to subproblem j mod N. Returns the new slot contents (indices may repeat
  // when one child wins several subproblems), ranked by non-domination, score = -g of the slot.
  survivors survive(const matrix& f, std::size_t k, rng& r) {
    f.require_finite("moead_survival");
    if (f.empty()) throw value_error("moead_survival: empty population");
    if (weights_.empty()) initialize(f, k);
    const std::size_t n = weights_.rows();
    if (k != n)
      throw value_error(detail::message("moead_survival: asked to keep ", k, " solutions for ", n,
                                        " subproblems; the population must equal the number of weights"));
    if (f.cols() != weights_.cols())
      throw dimension_error(detail::message("moead_survival: ", f.cols(), " objectives for weights of ",
                                            weights_.cols()));
    std::vector<std::size_t> slot(n);
    std::iota(slot.begin(), slot.end(), std::size_t{0});
    if (f.rows() > n) {
      if (f.rows() - n > from_neighbourhood_.size())
        throw value_error(detail::message("moead_survival: ", f.rows() - n, " children but ",
                                          from_neighbourhood_.size(), " matings"));
      std::vector<std::size_t> pool;
      for (std::size_t j = 0; n + j < f.rows(); ++j) {
        const std::size_t child = n + j;
        const auto y = f.row(child);
        for (std::size_t q = 0; q < ideal_.size(); ++q) ideal_[q] = std::min(ideal_[q], y[q]);
        if (from_neighbourhood_[j]) {
          pool = neighbours_[j % n];
        } else {
          pool.resize(n);
          std::iota(pool.begin(), pool.end(), std::size_t{0});
        }
        r.shuffle(pool.begin(), pool.end());
        std::size_t replaced = 0;
        for (std::size_t i : pool) {
          if (replaced >= opts_.max_replacements) break;
          if (value(y, i) <= value(f.row(slot[i]), i)) {
            slot[i] = child;
            ++replaced;
          }
        }
      }
    }
    survivors s;
    s.rank = non_dominated_ranks(f.select(slot));
    s.score.resize(n);
    for (std::size_t i = 0; i < n; ++i) s.score[i] = -value(f.row(slot[i]), i);
    s.index = std::move(slot);
    return s;
  }

  // Checkpoint hooks (io/checkpoint.hpp): weights, neighbourhoods, ideal point and the pending matings'
  // pool choices, so a resumed run continues exactly.
  void save(std::ostream& os) const {
    io::write(os, weights_);
    io::write(os, neighbours_);
    io::write(os, ideal_);
    io::write(os, from_neighbourhood_);
  }
  // Loads into locals and checks that the parts fit each other (one neighbourhood per weight vector,
  // every neighbour a subproblem, the ideal point as long as a weight vector), so a damaged or hostile
  // file is an io_error, never an out-of-range read later.
  void load(std::istream& is) {
    auto weights = io::read<matrix>(is);
    auto neighbours = io::read<std::vector<std::vector<std::size_t>>>(is);
    auto ideal = io::read<std::vector<double>>(is);
    auto from_neighbourhood = io::read<std::vector<bool>>(is);
    if (!is) return;  // the caller reports the truncated read
    if (neighbours.size() != weights.rows())
      throw io_error(detail::message("moead_survival: ", neighbours.size(), " neighbourhoods for ", weights.rows(),
                                     " weight vectors"));
    if (!ideal.empty() && ideal.size() != weights.cols())
      throw io_error(detail::message("moead_survival: an ideal point of ", ideal.size(), " values for ",
                                     weights.cols(), " objectives"));
    for (std::size_t i = 0; i < neighbours.size(); ++i) {
      if (neighbours[i].empty())
        throw io_error(detail::message("moead_survival: subproblem ", i, " has no neighbours"));
      for (std::size_t j : neighbours[i])
        if (j >= weights.rows())
          throw io_error(detail::message("moead_survival: subproblem ", i, " has neighbour ", j, " of ",
                                         weights.rows(), " subproblems"));
    }
    weights_ = std::move(weights);
    neighbours_ = std::move(neighbours);
    ideal_ = std::move(ideal);
    from_neighbourhood_ = std::move(from_neighbourhood);
  }

 private:
  double value(std::span<const double> y, std::size_t i) const {
    return static_cast<double>(opts_.decomposition(y, weights_.row(i), ideal_));
  }

  void initialize(const matrix& f, std::size_t k) {
    const std::size_t m = f.cols();
    weights_ = opts_.weights.empty() ? das_dennis(das_dennis_partitions_for(k, m), m) : opts_.weights;
    if (weights_.rows() != f.rows())
      throw value_error(detail::message("moead_survival: initial population of ", f.rows(), " for ",
                                        weights_.rows(), " weights"));
    if (weights_.cols() != m)
      throw dimension_error(detail::message("moead_survival: weights of ", weights_.cols(),
                                            " objectives for a problem with ", m));
    weights_.require_finite("moead_survival weights");
    const std::size_t n = weights_.rows();
    const std::size_t t = std::clamp<std::size_t>(opts_.neighbours, std::min<std::size_t>(2, n), n);
    neighbours_.assign(n, {});
    std::vector<std::pair<double, std::size_t>> d(n);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < n; ++j) {
        double s = 0;
        for (std::size_t q = 0; q < m; ++q) {
          const double d = weights_(i, q) - weights_(j, q);
          s += d * d;
        }
        d[j] = {s, j};
      }
      std::partial_sort(d.begin(), d.begin() + static_cast<std::ptrdiff_t>(t), d.end());
      for (std::size_t j = 0; j < t; ++j) neighbours_[i].push_back(d[j].second);
    }
    ideal_.assign(m, std::numeric_limits<double>::infinity());
    for (std::size_t i = 0; i < f.rows(); ++i)
      for (std::size_t q = 0; q < m; ++q) ideal_[q] = std::min(ideal_[q], f(i, q));
  }

  options opts_;
  matrix weights_;
  std::vector<std::vector<std::size_t>> neighbours_;
  std::vector<double> ideal_;
  std::vector<bool> from_neighbourhood_;
};

}  // namespace moo
