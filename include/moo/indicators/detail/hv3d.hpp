// Three-objective hypervolume by a sweep along the third objective over a balanced tree, O(n log n).
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <iterator>
#include <limits>
#include <memory_resource>
#include <set>
#include <vector>

namespace moo::detail {

// Volume dominated by n points (row-major triples, each strictly inside the box) and bounded by ref.
// Beume, Fonseca, Lopez-Ibanez, Paquete, Vahrenhold, "On the complexity of computing the hypervolume
// indicator", IEEE TEVC 13(5), 2009, Sec. III: sweep the points in ascending third objective, keep the
// 2-D non-dominated staircase of the points seen so far in a balanced search tree ordered by the first
// objective, and update its area when a point enters (the points it dominates leave the tree).
inline double hv3d(const double* pts, std::size_t n, const double* ref) {
  std::vector<std::array<double, 3>> p(n);
  for (std::size_t i = 0; i < n; ++i) p[i] = {pts[3 * i], pts[3 * i + 1], pts[3 * i + 2]};
  std::sort(p.begin(), p.end(), [](const auto& a, const auto& b) { return a[2] < b[2]; });

  struct xy {
    double x, y;
  };
  struct by_x {
    bool operator()(const xy& a, const xy& b) const { return a.x < b.x; }
  };
  // Tree nodes come from one arena: no allocator call per insertion.
  std::pmr::monotonic_buffer_resource arena(64 * (n + 2));
  std::pmr::set<xy, by_x> stairs(&arena);
  constexpr double inf = std::numeric_limits<double>::infinity();
  // Sentinels: nothing removes them, and they bound the walk on both sides.
  stairs.insert({-inf, ref[1]});
  stairs.insert({ref[0], -inf});

  double volume = 0.0;
  double area = 0.0;
  double last_z = n ? p[0][2] : 0.0;
  for (const auto& q : p) {
    volume += area * (q[2] - last_z);
    last_z = q[2];
    auto it = stairs.lower_bound({q[0], 0.0});  // first member with x >= q.x
    if (it->x == q[0] && it->y <= q[1]) continue;
    auto before = std::prev(it);  // last member with x < q.x
    if (before->y <= q[1]) continue;
    double top = before->y;
    double left = q[0];
    while (it->y >= q[1]) {  // members weakly dominated by q: add the area above each, remove it
      area += (it->x - left) * (top - q[1]);
      left = it->x;
      top = it->y;
      it = stairs.erase(it);
    }
    area += (it->x - left) * (top - q[1]);
    stairs.insert(it, {q[0], q[1]});
  }
  volume += area * (ref[2] - last_z);
  return volume;
}

}  // namespace moo::detail
