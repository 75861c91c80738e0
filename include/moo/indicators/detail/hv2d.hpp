// Two-objective hypervolume and exclusive contributions by one sort and a sweep, O(n log n).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <vector>

namespace moo::detail {

// Area dominated by n points (row-major pairs, each strictly inside the box) and bounded by ref.
// Sweep in ascending first objective: each point that improves the best second objective so far adds
// the strip (ref0 - x) * (best - y) (Beume et al., IEEE TEVC 13(5), 2009, the 2-D base case).
inline double hv2d(const double* pts, std::size_t n, const double* ref) {
  std::vector<std::array<double, 2>> p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = {pts[2 * i], pts[2 * i + 1]};
  std::sort(p.begin(), p.end(), [](const auto& a, const auto& b) { return a[0] < b[0]; });
  double best = ref[1];
  double area = 0.0;
  for (const auto& q : p) {
    if (q[1] < best) {
      area += (ref[0] - q[0]) * (best - q[1]);
      best = q[1];
    }
  }
  return area;
}

// Exclusive contribution hv(S) - hv(S \ {i}) of every point (row-major pairs, each strictly inside
// the box) in O(n log n). A point of the staircase owns the rectangle between its neighbours; the
// weakly dominated points lying inside that rectangle (duplicates included) cover part of it, and
// that part is the 2-D hypervolume of those points with the rectangle's far corner as reference.
// Weakly dominated points contribute 0, so exact duplicates both contribute 0.
inline std::vector<double> hvc2d(const double* pts, std::size_t n, const double* ref) {
  std::vector<std::size_t> order(n);
  for (std::size_t i = 0; i < n; ++i) order[i] = i;
  auto x = [&](std::size_t i) { return pts[2 * i]; };
  auto y = [&](std::size_t i) { return pts[2 * i + 1]; };
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return x(a) < x(b) || (x(a) == x(b) && y(a) < y(b)); });
  std::vector<double> out(n, 0.0);
  // Staircase members in ascending x; `group_begin[k]`..`group_begin[k+1]` are the positions in `rest`
  // of the dominated points that lie in the rectangle of member k.
  std::vector<std::size_t> stairs;
  std::vector<std::size_t> rest;
  std::vector<std::size_t> group_begin;
  double best = ref[1];
  double prev_best = ref[1];
  for (std::size_t i : order) {
    if (y(i) < best) {
      stairs.push_back(i);
      group_begin.push_back(rest.size());
      prev_best = best;
      best = y(i);
    } else if (!stairs.empty() && y(i) < prev_best) {
      rest.push_back(i);  // weakly dominated by the last member only: inside its rectangle
    }
  }
  group_begin.push_back(rest.size());
  for (std::size_t k = 0; k < stairs.size(); ++k) {
    const std::size_t s = stairs[k];
    const double right = k + 1 < stairs.size() ? x(stairs[k + 1]) : ref[0];
    const double top = k > 0 ? y(stairs[k - 1]) : ref[1];
    double covered = 0.0;
    double low = top;  // `rest` of one group is in ascending x, so the 2-D sweep applies directly
    for (std::size_t g = group_begin[k]; g < group_begin[k + 1]; ++g) {
      const std::size_t i = rest[g];
      if (y(i) < low) {
        covered += (right - x(i)) * (low - y(i));
        low = y(i);
      }
    }
    out[s] = (right - x(s)) * (top - y(s)) - covered;
  }
  return out;
}

}  // namespace moo::detail
