// NSGA-III survival (Deb & Jain 2014, Sec. IV): fill by non-dominated fronts; normalise by the ideal
// point and the intercepts of the hyperplane through the extreme points (found by the achievement
// scalarising function); associate every point with the reference direction at the smallest
// perpendicular distance; fill the last front niche by niche, least crowded direction first, with ties
// broken by the injected rng.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <istream>
#include <limits>
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
#include "moo/selection/hyperplane.hpp"
#include "moo/selection/reference_directions.hpp"

namespace moo {

class nsga3_survival {
 public:
  // Reference directions, one row per direction (das_dennis, das_dennis_two_layer, riesz_s_energy); empty
  // means the largest Das-Dennis set not exceeding the population, chosen on first use.
  // Example: moo::nsga3{{.survival = moo::das_dennis(12, 3)}} (population 92 by default).
  nsga3_survival(matrix directions = {}) : directions_(std::move(directions)) {
    if (!directions_.empty()) validate();
  }

  const matrix& directions() const { return directions_; }

  // The population Deb & Jain pair with H directions: the smallest multiple of four >= H (Sec. V-A).
  // 0 when no directions were given.
  std::size_t default_population() const { return (directions_.rows() + 3) / 4 * 4; }

  // The normalisation of the last call: ideal point (best value seen per objective) and nadir estimate.
  const std::vector<double>& ideal() const { return ideal_; }
  const std::vector<double>& nadir() const { return nadir_; }

  // Keeps k rows of f. Ranks are front indices; the score of a survivor is minus its perpendicular
  // distance to its reference direction in the normalised space.
  survivors survive(const matrix& f, std::size_t k, rng& r) {
    f.require_finite("nsga3_survival");
    if (f.empty()) throw value_error("nsga3_survival: empty population");
    const std::size_t m = f.cols();
    if (directions_.empty()) {
      directions_ = das_dennis_at_most(std::max(k, m), m);
    }
    if (directions_.cols() != m)
      throw dimension_error(detail::message("nsga3_survival: reference directions of ", directions_.cols(),
                                            " objectives for a problem with ", m));
    k = std::min(k, f.rows());
    const auto fronts = non_dominated_fronts(f, k);
    update_normalization(f, fronts.front());

    // Points considered: every front up to and including the one that reaches k.
    std::vector<std::size_t> considered;
    std::vector<std::size_t> rank_of;
    for (std::size_t q = 0; q < fronts.size(); ++q)
      for (std::size_t i : fronts[q]) {
        considered.push_back(i);
        rank_of.push_back(q);
      }
    const auto [niche, distance] = associate(f, considered);

    survivors s;
    s.index.reserve(k);
    std::vector<std::size_t> count(directions_.rows(), 0);
    std::size_t c = 0;
    const std::size_t last = fronts.size() - 1;
    const bool cut = considered.size() > k;
    for (; c < considered.size() && (!cut || rank_of[c] < last); ++c) {
      s.index.push_back(considered[c]);
      s.rank.push_back(rank_of[c]);
      s.score.push_back(-distance[c]);
      ++count[niche[c]];
    }
    if (cut) {
      // Niche preservation (Deb & Jain 2014, Algorithm 4) over the members of the last front.
      std::vector<std::vector<std::size_t>> members(directions_.rows());
      for (std::size_t q = c; q < considered.size(); ++q) members[niche[q]].push_back(q);
      std::vector<std::size_t> open;  // directions that still have last-front members
      for (std::size_t j = 0; j < members.size(); ++j)
        if (!members[j].empty()) open.push_back(j);
      while (s.index.size() < k) {
        std::size_t least = std::numeric_limits<std::size_t>::max();
        for (std::size_t j : open) least = std::min(least, count[j]);
        std::vector<std::size_t> candidates;
        for (std::size_t pos = 0; pos < open.size(); ++pos)
          if (count[open[pos]] == least) candidates.push_back(pos);
        const std::size_t pos = candidates[r.index(candidates.size())];
        const std::size_t j = open[pos];
        auto& mem = members[j];
        std::size_t pick;
        if (count[j] == 0) {
          // The closest member; equal distances are broken at random.
          double best = std::numeric_limits<double>::infinity();
          std::size_t ties = 0;
          pick = 0;
          for (std::size_t t = 0; t < mem.size(); ++t) {
            const double d = distance[mem[t]];
            if (d < best) {
              best = d;
              pick = t;
              ties = 1;
            } else if (d == best && r.index(++ties) == 0) {
              pick = t;
            }
          }
        } else {
          pick = r.index(mem.size());
        }
        const std::size_t q = mem[pick];
        s.index.push_back(considered[q]);
        s.rank.push_back(rank_of[q]);
        s.score.push_back(-distance[q]);
        ++count[j];
        mem.erase(mem.begin() + static_cast<std::ptrdiff_t>(pick));
        if (mem.empty()) open.erase(open.begin() + static_cast<std::ptrdiff_t>(pos));
      }
    }
    return s;
  }

  // Checkpoint hooks (io/checkpoint.hpp): directions and the normalisation carried between generations.
  void save(std::ostream& os) const {
    io::write(os, directions_);
    io::write(os, ideal_);
    io::write(os, worst_);
    io::write(os, nadir_);
    io::write(os, extremes_);
  }
  void load(std::istream& is) {
    directions_ = io::read<matrix>(is);
    ideal_ = io::read<std::vector<double>>(is);
    worst_ = io::read<std::vector<double>>(is);
    nadir_ = io::read<std::vector<double>>(is);
    extremes_ = io::read<matrix>(is);
  }

 private:
  void validate() const {
    directions_.require_finite("nsga3_survival directions");
    for (std::size_t i = 0; i < directions_.rows(); ++i) {
      double sum = 0;
      for (double v : directions_.row(i)) {
        if (v < 0)
          throw value_error(detail::message("nsga3_survival: direction ", i, " has a negative component ", v));
        sum += v;
      }
      if (!(sum > 0)) throw value_error(detail::message("nsga3_survival: direction ", i, " is zero"));
    }
  }

  // Ideal point, extreme points by the achievement scalarising function with weights e_j (1e-6 elsewhere
  // to avoid weak extremes), over the first front and the previous extremes, and the nadir from the
  // hyperplane intercepts (Deb & Jain 2014, Sec. IV-C, Eq. 4 and Fig. 2), falling back to the worst of the
  // first front when the hyperplane is degenerate, and to the worst of the population where the range is
  // below 1e-6 (the safeguards of pymoo's implementation).
  void update_normalization(const matrix& f, const std::vector<std::size_t>& first) {
    const std::size_t m = f.cols();
    if (ideal_.size() != m) {
      ideal_.assign(m, std::numeric_limits<double>::infinity());
      worst_.assign(m, -std::numeric_limits<double>::infinity());
      extremes_ = matrix();
    }
    std::vector<double> worst_population(m, -std::numeric_limits<double>::infinity());
    for (std::size_t i = 0; i < f.rows(); ++i)
      for (std::size_t j = 0; j < m; ++j) {
        ideal_[j] = std::min(ideal_[j], f(i, j));
        worst_[j] = std::max(worst_[j], f(i, j));
        worst_population[j] = std::max(worst_population[j], f(i, j));
      }
    std::vector<double> worst_front(m, -std::numeric_limits<double>::infinity());
    for (std::size_t i : first)
      for (std::size_t j = 0; j < m; ++j) worst_front[j] = std::max(worst_front[j], f(i, j));

    matrix candidates = extremes_;
    for (std::size_t i : first) candidates.push_back(f.row(i));
    matrix extremes(m, m);
    for (std::size_t axis = 0; axis < m; ++axis) {
      double best = std::numeric_limits<double>::infinity();
      std::size_t arg = 0;
      for (std::size_t i = 0; i < candidates.rows(); ++i) {
        double asf = 0;
        for (std::size_t j = 0; j < m; ++j) {
          double v = candidates(i, j) - ideal_[j];
          if (v < 1e-3) v = 0;
          asf = std::max(asf, v * (j == axis ? 1.0 : 1e6));
        }
        if (asf < best) {
          best = asf;
          arg = i;
        }
      }
      for (std::size_t j = 0; j < m; ++j) extremes(axis, j) = candidates(arg, j);
    }
    extremes_ = extremes;

    matrix translated = extremes;
    for (std::size_t i = 0; i < m; ++i)
      for (std::size_t j = 0; j < m; ++j) translated(i, j) -= ideal_[j];
    nadir_.assign(m, 0.0);
    if (auto a = detail::hyperplane_intercepts(translated)) {
      for (std::size_t j = 0; j < m; ++j) nadir_[j] = std::min(ideal_[j] + (*a)[j], worst_[j]);
    } else {
      nadir_ = worst_front;
    }
    for (std::size_t j = 0; j < m; ++j)
      if (nadir_[j] - ideal_[j] <= 1e-6) nadir_[j] = worst_population[j];
  }

  // For each considered point: the nearest reference direction and the perpendicular distance to it in
  // the normalised objective space (Deb & Jain 2014, Algorithm 3).
  std::pair<std::vector<std::size_t>, std::vector<double>> associate(const matrix& f,
                                                                     const std::vector<std::size_t>& rows) const {
    const std::size_t m = f.cols();
    std::vector<double> scale(m);
    for (std::size_t j = 0; j < m; ++j) {
      scale[j] = nadir_[j] - ideal_[j];
      if (scale[j] == 0) scale[j] = 1e-12;
    }
    std::vector<std::size_t> niche(rows.size());
    std::vector<double> dist(rows.size());
    std::vector<double> p(m);
    for (std::size_t q = 0; q < rows.size(); ++q) {
      for (std::size_t j = 0; j < m; ++j) p[j] = (f(rows[q], j) - ideal_[j]) / scale[j];
      double best = std::numeric_limits<double>::infinity();
      std::size_t arg = 0;
      for (std::size_t d = 0; d < directions_.rows(); ++d) {
        const double v = detail::squared_distance_to_ray(p, directions_.row(d));
        if (v < best) {
          best = v;
          arg = d;
        }
      }
      niche[q] = arg;
      dist[q] = std::sqrt(best);
    }
    return {std::move(niche), std::move(dist)};
  }

  matrix directions_;
  std::vector<double> ideal_;
  std::vector<double> worst_;
  std::vector<double> nadir_;
  matrix extremes_;
};

}  // namespace moo
