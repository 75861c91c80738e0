// LEMONADE's density-based selection (Elsken, Metzen & Hutter, "Efficient Multi-objective Neural
// Architecture Search via Lamarckian Evolution", ICLR 2019, Algorithm 1, Eq. 1-2): a Gaussian kernel
// density estimate over the population's cheap objectives (parameters, MACs) steers the search
// to sparsely populated regions of the cheap objective space before anything expensive is evaluated.
// kde_mating draws parents with probability proportional to 1 / density at their cheap objectives
// (Eq. 1); kde_screening evaluates only `accept` of the children, drawn without replacement with
// probability proportional to 1 / the population's density at their cheap objectives (Eq. 2). Densities
// are fitted in log10 space (cheap objectives must be positive), so a factor of ten in parameters counts
// the same at 10^4 as at 10^7.
// Example, a mutation-based searcher that evaluates 20 of 200 children per generation:
//   struct params {  // the cheap objective: parameters of a network
//     std::size_t size() const { return 1; }
//     void operator()(const net& n, std::span<double> out) const { out[0] = n.parameters(); }
//   };
//   using search = moo::evolver<morph, moo::nondominated_survival, moo::kde_mating<params>,
//                               moo::kde_screening<params>>;
//   auto res = search{{.offspring = 200, .screening = {.accept = 20}, .initial = 10}}.run(problem);
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numbers>
#include <numeric>
#include <span>
#include <string_view>
#include <vector>

#include "moo/core/concepts.hpp"
#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"
#include "moo/core/rng.hpp"

namespace moo {

// A Gaussian kernel density estimate of a set of points (rows), fitted on log10 of the values: a product
// kernel with one bandwidth per dimension by Scott's rule, h_j = sigma_j * n^(-1/(d+4)), sigma_j the
// sample standard deviation (n - 1 denominator) of dimension j in log10 space. A dimension without spread
// (n == 1, or all values equal) gets h_j = bandwidth_floor = 1, one decade: it says nothing about where
// the points are dense, and a finite width keeps the density of a point off that value positive.
// density(x) = (1/n) sum_i prod_j phi((log10 x_j - log10 x_ij) / h_j) / h_j, phi the standard normal
// density: a density over log10 coordinates (no Jacobian back to the raw values).
// Example: gaussian_kde kde(matrix{{1e4, 2e6}, {3e5, 1e8}}); double p = kde.density(std::vector{1e5, 1e7});
class gaussian_kde {
 public:
  // The bandwidth, in log10 units, of a dimension whose sample standard deviation is zero.
  static constexpr double bandwidth_floor = 1.0;

  // Fits the points. Throws value_error for an empty set or a value <= 0 or non-finite (naming its row,
  // column and value; `what` says where the points came from), dimension_error for points of no values.
  explicit gaussian_kde(const matrix& points, std::string_view what = "gaussian_kde") {
    if (points.rows() == 0) throw value_error(detail::message(what, ": no points to fit a density to"));
    if (points.cols() == 0) throw dimension_error(detail::message(what, ": points have no values"));
    logs_ = to_log10(points, what);
    const std::size_t n = logs_.rows();
    const std::size_t d = logs_.cols();
    const double scott = std::pow(static_cast<double>(n), -1.0 / static_cast<double>(d + 4));
    h_.assign(d, bandwidth_floor);
    for (std::size_t j = 0; j < d && n > 1; ++j) {
      double mean = 0.0;
      for (std::size_t i = 0; i < n; ++i) mean += logs_(i, j);
      mean /= static_cast<double>(n);
      double squares = 0.0;
      for (std::size_t i = 0; i < n; ++i) squares += (logs_(i, j) - mean) * (logs_(i, j) - mean);
      const double sigma = std::sqrt(squares / static_cast<double>(n - 1));
      if (sigma > 0.0) h_[j] = sigma * scott;
    }
    log_norm_ = -std::log(static_cast<double>(n)) - 0.5 * static_cast<double>(d) * std::log(2.0 * std::numbers::pi);
    for (double h : h_) log_norm_ -= std::log(h);
  }

  std::size_t size() const { return logs_.rows(); }
  std::size_t dimensions() const { return logs_.cols(); }
  // Bandwidths h_j in log10 units, one per dimension.
  const std::vector<double>& bandwidths() const { return h_; }
  double bandwidth(std::size_t j) const {
    if (j >= h_.size())
      throw dimension_error(detail::message("gaussian_kde::bandwidth: dimension ", j, " of ", h_.size()));
    return h_[j];
  }
  // The fitted points in log10 space, one row each.
  const matrix& log10_points() const { return logs_; }

  // The density at a point (raw values, > 0); 0 where it underflows (log_density stays finite longer).
  double density(std::span<const double> point) const { return std::exp(log_density(point)); }

  // The natural log of the density at a point, by log-sum-exp over the kernels (no underflow).
  double log_density(std::span<const double> point) const {
    if (point.size() != dimensions())
      throw dimension_error(detail::message("gaussian_kde::density: point has ", point.size(), " values, the density ",
                                            dimensions(), " dimensions"));
    std::vector<double> x(point.size());
    for (std::size_t j = 0; j < x.size(); ++j) x[j] = log10_of(point[j], "gaussian_kde::density", 0, j);
    return log_density_log10(x);
  }

  // log_density of every row of `points`; errors name the row (and `what`, where the points came from).
  std::vector<double> log_densities(const matrix& points, std::string_view what = "gaussian_kde::density") const {
    if (points.rows() > 0 && points.cols() != dimensions())
      throw dimension_error(detail::message(what, ": points have ", points.cols(), " values, the density ",
                                            dimensions(), " dimensions"));
    const matrix logs = to_log10(points, what);
    std::vector<double> out(points.rows());
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = log_density_log10(logs.row(i));
    return out;
  }

 private:
  static double log10_of(double v, std::string_view what, std::size_t row, std::size_t col) {
    if (!(v > 0.0) || !std::isfinite(v))
      throw value_error(detail::message(what, ": value ", v, " at row ", row, ", column ", col,
                                        " is not positive and finite (the density is fitted in log10 space)"));
    return std::log10(v);
  }

  static matrix to_log10(const matrix& points, std::string_view what) {
    matrix logs(points.rows(), points.cols());
    for (std::size_t i = 0; i < points.rows(); ++i)
      for (std::size_t j = 0; j < points.cols(); ++j) logs(i, j) = log10_of(points(i, j), what, i, j);
    return logs;
  }

  // log p(x) = log_norm + log sum_i exp(-|z_i|^2 / 2), z_ij = (x_j - x_ij) / h_j, x in log10 space.
  double log_density_log10(std::span<const double> x) const {
    const std::size_t n = logs_.rows();
    std::vector<double> exponent(n, 0.0);
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < x.size(); ++j) {
        const double z = (x[j] - logs_(i, j)) / h_[j];
        exponent[i] -= 0.5 * z * z;
      }
    const double top = *std::max_element(exponent.begin(), exponent.end());
    if (top == -std::numeric_limits<double>::infinity()) return top;
    double sum = 0.0;
    for (double e : exponent) sum += std::exp(e - top);
    return log_norm_ + top + std::log(sum);
  }

  matrix logs_;
  std::vector<double> h_;
  double log_norm_ = 0.0;
};

namespace detail {

// The cheap objectives of `genomes`, one row each; dimension_error if the policy declares no values.
template <class Cheap, class G>
matrix cheap_values(const Cheap& cheap, std::span<const G> genomes, std::string_view what) {
  const std::size_t d = cheap.size();
  if (d == 0) throw dimension_error(detail::message(what, ": the cheap objectives have no values"));
  matrix out(genomes.size(), d);
  for (std::size_t i = 0; i < genomes.size(); ++i) cheap(genomes[i], out.row(i));
  return out;
}

// Weights proportional to 1 / density from log densities, scaled so that the largest is 1:
// w_i = exp(min_k log p_k - log p_i). Where a density underflows even in log space (-inf), those points
// share all the weight.
inline std::vector<double> inverse_density_weights(const std::vector<double>& log_density) {
  std::vector<double> w(log_density.size(), 0.0);
  if (w.empty()) return w;
  const double least = *std::min_element(log_density.begin(), log_density.end());
  for (std::size_t i = 0; i < w.size(); ++i)
    w[i] = least == -std::numeric_limits<double>::infinity() ? (log_density[i] == least ? 1.0 : 0.0)
                                                              : std::exp(least - log_density[i]);
  return w;
}

// One candidate not yet taken, with probability proportional to its weight (uniformly if every
// remaining weight is 0).
inline std::size_t draw_without_replacement(const std::vector<double>& w, const std::vector<char>& taken, rng& r) {
  double remaining = 0.0;
  std::size_t free = 0, last_positive = w.size(), last_free = w.size();
  for (std::size_t i = 0; i < w.size(); ++i)
    if (!taken[i]) {
      remaining += w[i];
      ++free;
      last_free = i;
      if (w[i] > 0.0) last_positive = i;
    }
  if (remaining > 0.0) {
    const double u = r.uniform() * remaining;
    double sum = 0.0;
    for (std::size_t i = 0; i < w.size(); ++i)
      if (!taken[i] && w[i] > 0.0 && u < (sum += w[i])) return i;
    return last_positive;  // u rounded up to the sum
  }
  std::size_t k = r.index(free);
  for (std::size_t i = 0; i < w.size(); ++i)
    if (!taken[i] && k-- == 0) return i;
  return last_free;
}

}  // namespace detail

// LEMONADE's parent selection (Eq. 1): fits a gaussian_kde on the population's cheap objectives and draws
// n parents i.i.d., member i with probability proportional to 1 / density(cheap(i)), so parents in
// sparse regions of the cheap objective space are chosen more often. Carries no state.
// Example: moo::kde_mating<params>{.cheap = params{}}
template <class Cheap>
struct kde_mating {
  Cheap cheap{};

  // n parent indices into the population. Throws value_error for an empty population or a cheap
  // objective <= 0 (naming the member, objective and value).
  template <class G>
    requires cheap_objectives<Cheap, G>
  std::vector<std::size_t> select(const population_view<G>& population, std::size_t n, rng& r) const {
    if (population.size() == 0) throw value_error("kde_mating: the population is empty");
    const matrix points = detail::cheap_values(cheap, population.genomes, "kde_mating");
    const gaussian_kde kde(points, "kde_mating (cheap objectives of the population)");
    const auto w = detail::inverse_density_weights(kde.log_densities(points, "kde_mating"));
    std::vector<double> cumulative(w.size());
    std::partial_sum(w.begin(), w.end(), cumulative.begin());
    const double total = cumulative.back();
    std::size_t last = w.size() - 1;  // the last member of positive weight (one has weight 1)
    while (w[last] == 0.0) --last;
    std::vector<std::size_t> parents(n);
    for (auto& p : parents) {
      const double u = r.uniform() * total;
      const auto at = static_cast<std::size_t>(std::upper_bound(cumulative.begin(), cumulative.end(), u) -
                                               cumulative.begin());
      p = std::min(at, last);
    }
    return parents;
  }
};

// LEMONADE's child acceptance (Algorithm 1, Eq. 2): fits a gaussian_kde on the POPULATION's
// cheap objectives, evaluates it at each candidate's cheap objectives, and accepts `accept` candidates
// (n_ac) without replacement, each draw choosing among the candidates not yet drawn with probability
// proportional to 1 / density. With accept >= the number of candidates every candidate is accepted and
// nothing is computed or drawn. Carries no state across generations; the fields after the options
// report on the last screen() that drew.
// Example: moo::kde_screening<params>{.cheap = params{}, .accept = 20}
template <class Cheap>
struct kde_screening {
  Cheap cheap{};
  std::size_t accept = 0;  // candidates accepted per generation (n_ac), at least 1

  // Written by screen(): the population's density at each candidate's cheap objectives, and each
  // candidate's probability of being drawn first (proportional to 1 / density, summing to 1). Both are
  // empty after a screen() that accepted every candidate.
  std::vector<double> last_density{};
  std::vector<double> last_probability{};

  // Indices of the accepted candidates, increasing. Throws value_error if accept is 0, the population is
  // empty, or a cheap objective is <= 0 (naming the member or candidate, objective and value).
  template <class G>
    requires cheap_objectives<Cheap, G>
  std::vector<std::size_t> screen(const population_view<G>& population, std::span<const G> candidates, rng& r) {
    if (accept == 0) throw value_error("kde_screening: accept must be at least 1, got 0");
    last_density.clear();
    last_probability.clear();
    const std::size_t m = candidates.size();
    std::vector<std::size_t> kept;
    if (accept >= m) {
      kept.resize(m);
      std::iota(kept.begin(), kept.end(), std::size_t{0});
      return kept;
    }
    if (population.size() == 0) throw value_error("kde_screening: the population is empty");
    const gaussian_kde kde(detail::cheap_values(cheap, population.genomes, "kde_screening"),
                           "kde_screening (cheap objectives of the population)");
    const auto log_p = kde.log_densities(detail::cheap_values(cheap, candidates, "kde_screening"),
                                         "kde_screening (cheap objectives of the candidates)");
    const auto w = detail::inverse_density_weights(log_p);
    const double total = std::accumulate(w.begin(), w.end(), 0.0);
    for (std::size_t i = 0; i < m; ++i) {
      last_density.push_back(std::exp(log_p[i]));
      last_probability.push_back(w[i] / total);
    }
    std::vector<char> taken(m, 0);
    kept.reserve(accept);
    for (std::size_t a = 0; a < accept; ++a) {
      const std::size_t pick = detail::draw_without_replacement(w, taken, r);
      taken[pick] = 1;
      kept.push_back(pick);
    }
    std::sort(kept.begin(), kept.end());
    return kept;
  }
};

}  // namespace moo
