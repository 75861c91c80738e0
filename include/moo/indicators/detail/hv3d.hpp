// Three-objective hypervolume by a sweep along the third objective over the 2-D staircase, O(n log n).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "moo/indicators/detail/key_set.hpp"
#include "moo/pareto/detail/radix_sort.hpp"

namespace moo::detail {

// Ranks of the first objective of n row-major points with `stride` values each: x_at[k] is the k-th
// smallest distinct value (x_at[0] = -inf, and x_at.back() = `right`, both sentinels), key[i] point i's k.
struct x_ranks {
  std::vector<double> x_at;
  std::vector<std::uint32_t> key;
};

inline x_ranks rank_first_objective(const double* pts, std::size_t n, std::size_t stride, double right,
                                    std::vector<keyed_index>& items, std::vector<keyed_index>& scratch) {
  items.resize(n);
  for (std::size_t i = 0; i < n; ++i) items[i] = {order_key(pts[stride * i]), static_cast<std::uint32_t>(i)};
  radix_sort(items, scratch);
  x_ranks r;
  r.x_at.reserve(n + 2);
  r.x_at.push_back(-std::numeric_limits<double>::infinity());
  r.key.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (i == 0 || items[i].key != items[i - 1].key) r.x_at.push_back(pts[stride * items[i].index]);
    r.key[items[i].index] = static_cast<std::uint32_t>(r.x_at.size() - 1);
  }
  r.x_at.push_back(right);
  return r;
}

// The points in ascending order of objective c (radix sort of (key, index) pairs).
inline void sort_by_objective(const double* pts, std::size_t n, std::size_t stride, std::size_t c,
                              std::vector<keyed_index>& items, std::vector<keyed_index>& scratch) {
  items.resize(n);
  for (std::size_t i = 0; i < n; ++i)
    items[i] = {order_key(pts[stride * i + c]), static_cast<std::uint32_t>(i)};
  radix_sort(items, scratch);
}

// Volume dominated by n points (row-major triples, each strictly inside the box) and bounded by ref.
// Beume, Fonseca, Lopez-Ibanez, Paquete, Vahrenhold, "On the complexity of computing the hypervolume
// indicator", IEEE TEVC 13(5), 2009, Sec. III: sweep the points in ascending third objective, keep the
// 2-D non-dominated staircase of the points seen so far ordered by the first objective, and update its
// area when a point enters (the points it dominates leave the staircase). The staircase is a key_set
// over the ranks of the first objective (each rank holds at most one member), so finding and removing
// neighbours costs a few word operations instead of tree walks, and nothing is allocated per point.
inline double hv3d(const double* pts, std::size_t n, const double* ref) {
  if (n == 0) return 0.0;
  std::vector<keyed_index> items, scratch;
  const auto [x_at, key] = rank_first_objective(pts, n, 3, ref[0], items, scratch);
  const std::size_t right = x_at.size() - 1;
  std::vector<double> y_at(x_at.size());  // the second objective of the member at each key
  key_set members(x_at.size());
  // Sentinels: nothing removes them, and they bound the walk on both sides.
  y_at[0] = ref[1];
  y_at[right] = -std::numeric_limits<double>::infinity();
  members.insert(0);
  members.insert(right);

  sort_by_objective(pts, n, 3, 2, items, scratch);
  double volume = 0.0;
  double area = 0.0;
  double last_z = pts[3 * items[0].index + 2];
  for (const keyed_index& it : items) {
    const double* q = pts + 3 * std::size_t{it.index};
    volume += area * (q[2] - last_z);
    last_z = q[2];
    const std::size_t kq = key[it.index];
    if (y_at[members.prev(kq)] <= q[1]) continue;     // the member with the largest x <= q.x dominates q
    const std::size_t before = members.prev(kq - 1);  // the last member with x < q.x
    double top = y_at[before];
    double left = q[0];
    std::size_t k = members.next(kq);
    while (y_at[k] >= q[1]) {  // members weakly dominated by q: add the area above each, remove it
      area += (x_at[k] - left) * (top - q[1]);
      left = x_at[k];
      top = y_at[k];
      members.erase(k);
      k = members.next(k + 1);
    }
    area += (x_at[k] - left) * (top - q[1]);
    members.insert(kq);
    y_at[kq] = q[1];
  }
  volume += area * (ref[2] - last_z);
  return volume;
}

}  // namespace moo::detail
