// A Pareto archive: the mutually non-dominated points seen so far, each with a payload (a genome, an
// architecture, an id), optionally bounded in size by dropping the most crowded point.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <numeric>
#include <span>
#include <utility>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"
#include "moo/pareto/crowding.hpp"
#include "moo/pareto/dominance.hpp"

namespace moo {

// Keeps only mutually non-dominated objective vectors (minimization), in insertion order, with one
// payload each; an objective vector already present is kept once (the first payload stays). With a
// capacity, an insertion that overflows it removes the point of smallest crowding distance (Deb et al.
// 2002), the most recently inserted among equals, so boundary points survive.
// Example: pareto_archive<int> a(100); a.insert(std::vector<double>{1, 2}, 7);
template <class Payload>
class pareto_archive {
 public:
  static constexpr std::size_t unbounded = std::numeric_limits<std::size_t>::max();

  // An archive holding at most `capacity` points (>= 1); the number of objectives is fixed by the
  // first insertion.
  explicit pareto_archive(std::size_t capacity = unbounded) : capacity_(capacity) {
    if (capacity == 0) throw value_error("pareto_archive: capacity must be at least 1, got 0");
  }

  // Offers a point: rejected if an archived point dominates or equals it; otherwise the archived points
  // it dominates are removed and it is added (then truncated by crowding if over capacity). Returns
  // true if the point is in the archive afterwards. Throws dimension_error if the number of objectives
  // differs from the archive's (or is 0) and value_error on a NaN or infinite value.
  bool insert(std::span<const double> f, Payload payload) {
    if (f.empty()) throw dimension_error("pareto_archive::insert: a point needs at least one objective");
    if (objectives_ != 0 && f.size() != objectives_)
      throw dimension_error(detail::message("pareto_archive::insert: point has ", f.size(),
                                            " objectives, the archive has ", objectives_));
    for (std::size_t j = 0; j < f.size(); ++j)
      if (!std::isfinite(f[j]))
        throw value_error(detail::message("pareto_archive::insert: non-finite value ", f[j], " at objective ", j));
    objectives_ = f.size();

    std::vector<std::size_t> dominated;
    for (std::size_t i = 0; i < size(); ++i) {
      const auto relation = pareto_compare(points_.row(i), f);
      if (relation == pareto_relation::dominates || relation == pareto_relation::equal) return false;
      if (relation == pareto_relation::dominated) dominated.push_back(i);
    }
    if (!dominated.empty()) erase(dominated);
    points_.push_back(f);
    payloads_.push_back(std::move(payload));
    if (size() <= capacity_) return true;

    const std::size_t victim = most_crowded();
    erase(std::vector<std::size_t>{victim});
    return victim != size();  // the new point was last, at index size() before the erase
  }

  // Objective vectors, one row per archived point, in insertion order.
  const matrix& points() const { return points_; }
  // Payloads, payloads()[i] belonging to points().row(i).
  const std::vector<Payload>& payloads() const { return payloads_; }

  std::size_t size() const { return payloads_.size(); }
  bool empty() const { return payloads_.empty(); }
  std::size_t capacity() const { return capacity_; }
  // Number of objectives, 0 until the first insertion.
  std::size_t objectives() const { return objectives_; }

  // Removes every point; the number of objectives stays fixed.
  void clear() {
    points_.clear();
    payloads_.clear();
  }

 private:
  // Index of the point with the smallest crowding distance, the latest among ties.
  std::size_t most_crowded() const {
    std::vector<std::size_t> all(size());
    std::iota(all.begin(), all.end(), std::size_t{0});
    const auto distance = crowding_distance(points_, all);
    std::size_t victim = 0;
    for (std::size_t i = 1; i < distance.size(); ++i)
      if (distance[i] <= distance[victim]) victim = i;
    return victim;
  }

  // Removes the points at the given ascending indices, keeping the order of the rest.
  void erase(const std::vector<std::size_t>& sorted_indices) {
    matrix kept;
    kept.reserve(size() - sorted_indices.size(), objectives_);
    std::size_t next = 0, out = 0;
    for (std::size_t i = 0; i < size(); ++i) {
      if (next < sorted_indices.size() && sorted_indices[next] == i) {
        ++next;
        continue;
      }
      kept.push_back(points_.row(i));
      if (out != i) payloads_[out] = std::move(payloads_[i]);
      ++out;
    }
    payloads_.erase(payloads_.begin() + static_cast<std::ptrdiff_t>(out), payloads_.end());
    points_ = std::move(kept);
  }

  matrix points_;
  std::vector<Payload> payloads_;
  std::size_t capacity_;
  std::size_t objectives_ = 0;
};

}  // namespace moo
