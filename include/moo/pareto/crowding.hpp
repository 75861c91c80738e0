// Crowding distance (NSGA-II's density estimate within one front): how much room there is around each
// point, measured along every objective between its two neighbours.
#pragma once

#include <algorithm>
#include <cstddef>
#include <limits>
#include <numeric>
#include <span>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"

namespace moo {

// Crowding distance of the points f[front[0]], f[front[1]], ... (Deb et al., IEEE TEC 6(2) 2002, NSGA-II,
// Sec. III-B): for each objective, sort the front by value (ties by point index, so results are
// deterministic), give the two boundary points infinity and every other point the gap between its
// neighbours divided by the objective's range over the front; sum over objectives. An objective whose
// range is zero contributes 0 to every point; a front of at most two points is all infinite.
// Result i belongs to front[i]. Throws value_error for an index >= f.rows() or a NaN/infinite value.
// Example: crowding_distance(matrix{{0, 3}, {1, 1}, {3, 0}}, std::vector<std::size_t>{0, 1, 2})
//          == {inf, 3/3 + 3/3 = 2, inf}.
inline std::vector<double> crowding_distance(const matrix& f, std::span<const std::size_t> front) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  const std::size_t n = front.size();
  for (std::size_t i = 0; i < n; ++i) {
    if (front[i] >= f.rows())
      throw value_error(detail::message("crowding_distance: front[", i, "] = ", front[i],
                                        " is not a point of a set of ", f.rows()));
    for (std::size_t j = 0; j < f.cols(); ++j)
      detail::require_finite(f(front[i], j), "crowding_distance", front[i], j);
  }
  if (n <= 2) return std::vector<double>(n, inf);

  std::vector<double> distance(n, 0.0);
  std::vector<std::size_t> order(n);  // positions in front
  for (std::size_t j = 0; j < f.cols(); ++j) {
    const auto value = [&](std::size_t pos) { return f(front[pos], j); };
    std::iota(order.begin(), order.end(), std::size_t{0});
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
      if (value(a) != value(b)) return value(a) < value(b);
      return front[a] != front[b] ? front[a] < front[b] : a < b;
    });
    const double range = value(order[n - 1]) - value(order[0]);
    if (!(range > 0.0)) continue;
    distance[order[0]] = inf;
    distance[order[n - 1]] = inf;
    for (std::size_t k = 1; k + 1 < n; ++k)
      distance[order[k]] += (value(order[k + 1]) - value(order[k - 1])) / range;
  }
  return distance;
}

}  // namespace moo
