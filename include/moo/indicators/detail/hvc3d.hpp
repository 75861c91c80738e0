// Exclusive hypervolume contributions of every point of a three-objective set in O(n log n), by one sweep
// along the third objective that maintains each point's exclusive region of the current cross-section
// as boxes (the idea of HVC3D: Guerreiro & Fonseca, "Computing and updating hypervolume contributions in
// up to four dimensions", IEEE TEVC 22(3), 2018, Sec. IV).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "moo/indicators/detail/hv3d.hpp"
#include "moo/indicators/detail/key_set.hpp"
#include "moo/pareto/detail/radix_sort.hpp"

namespace moo::detail {

// hv(S) - hv(S \ {i}) for each of n row-major triples strictly inside the box [.., ref), any input:
// weakly dominated points get 0 (so both copies of a duplicate get 0) and still shrink the contribution
// of the only point that dominates them, exactly as the definition says.
//
// The sweep visits the points in ascending third objective z. At height z the cross-section of the
// dominated region is the union of the quadrants [x, ref0) x [y, ref1) of the points seen so far, and
// point p's exclusive contribution is the integral over z of the area of the part of its quadrant that
// no other quadrant covers. Those exclusive parts lie in disjoint vertical strips: p's strip runs from
// p.x to the next point of the 2-D staircase (the non-dominated projections), and in each column of it
// p's exclusive part is [p.y, top), top non-increasing in x. So the whole cross-section is one partition
// of the x axis into boxes [x_k, x_next) x [owner.y, top) with the height z0 since which the box has
// been unchanged; a box that changes first adds its volume (area * (z - z0)) to its owner. Box edges
// are always coordinates of points, so the boxes are keyed by the rank of their left edge in a key_set.
//
// A point q = (x, y, z) arriving changes only the boxes its quadrant meets:
// - if the owner o of the column at x has o.y <= y, o weakly dominates q (o.z <= z): q contributes
//   nothing, and o's boxes from x on are clipped to height y (they merge into one box);
// - otherwise q joins the staircase: the box containing x is split at x, every box right of x whose
//   owner has y >= q.y (the left neighbour l's part beyond x, and the points q dominates) becomes q's
//   box [.., q.y .. owner.y) (equal tops merge), and the first boxes of the right neighbour r are
//   clipped to height y.
// Each arrival creates O(1) boxes and every removed box was created once, so after the sorts the sweep
// costs O(n) key_set operations of O(log_64 n) each. Points at equal z may come in any order: boxes
// changed between them have zero height in z.
inline std::vector<double> hvc3d(const double* pts, std::size_t n, const double* ref) {
  constexpr double inf = std::numeric_limits<double>::infinity();
  constexpr std::uint32_t no_owner = std::numeric_limits<std::uint32_t>::max();
  std::vector<double> out(n, 0.0);
  if (n == 0) return out;

  // Boxes are keyed by the ranks of the distinct x values: key 0 is a left sentinel (x = -inf), the
  // last key the reference (x = ref0), so that every point has a box to its left and one to its right.
  std::vector<keyed_index> order, scratch;
  const x_ranks ranks = rank_first_objective(pts, n, 3, ref[0], order, scratch);
  const std::vector<double>& x_at = ranks.x_at;
  const std::vector<std::uint32_t>& x_key = ranks.key;
  const std::size_t right = x_at.size() - 1;
  sort_by_objective(pts, n, 3, 2, order, scratch);  // the sweep: ascending z

  struct box {
    double top;    // upper y edge
    double low;    // lower y edge: the owner's y (the left sentinel: ref1, the right one: -inf)
    double since;  // z at which the box last changed
    std::uint32_t owner;
  };
  std::vector<box> b(x_at.size());
  key_set keys(x_at.size());
  b[0] = {ref[1], ref[1], 0.0, no_owner};
  b[right] = {-inf, -inf, 0.0, no_owner};
  keys.insert(0);
  keys.insert(right);

  // Adds box k's volume since its last change (its right edge is the next key) and restarts it at z.
  const auto flush = [&](std::size_t k, std::size_t next, double z) {
    box& bk = b[k];
    if (bk.owner != no_owner) out[bk.owner] += (x_at[next] - x_at[k]) * (bk.top - bk.low) * (z - bk.since);
    bk.since = z;
  };

  for (const keyed_index& item : order) {
    const std::uint32_t q = item.index;
    const double y = pts[3 * std::size_t{q} + 1];
    const double z = pts[3 * std::size_t{q} + 2];
    const std::size_t kq = x_key[q];
    const std::size_t kb = keys.prev(kq);  // the box holding column x
    const std::size_t kn = keys.next(kb + 1);
    const box old = b[kb];
    if (old.low <= y) {
      // Weakly dominated by old.owner: clip its boxes from x on to height y.
      if (old.top <= y) continue;  // tops only fall to the right: nothing of o's is above y
      flush(kb, kn, z);
      if (kb < kq) keys.insert(kq);  // split at x; b[kb] keeps the columns left of x
      std::size_t k = kn;
      while (b[k].owner == old.owner && b[k].top > y) {
        const std::size_t k2 = keys.next(k + 1);
        flush(k, k2, z);
        keys.erase(k);
        k = k2;
      }
      b[kq] = {y, old.low, z, old.owner};
      continue;
    }
    // q joins the staircase: columns from x up to its right neighbour become q's.
    flush(kb, kn, z);
    if (kb < kq) keys.insert(kq);
    b[kq] = {old.low, y, z, q};
    std::size_t last = kq;
    std::size_t k = kn;
    while (b[k].low >= y) {  // owned by l (beyond x) or by a point that q weakly dominates
      const std::size_t k2 = keys.next(k + 1);
      flush(k, k2, z);
      if (b[k].low == b[last].top) {
        keys.erase(k);  // same owner as the box before: one box of q
      } else {
        b[k] = {b[k].low, y, z, q};
        last = k;
      }
      k = k2;
    }
    // k is the first box of the right neighbour r (or the right sentinel, whose top is -inf).
    if (b[k].top > y) {
      const std::uint32_t r = b[k].owner;
      const std::size_t first = k;
      std::size_t k2 = keys.next(k + 1);
      flush(k, k2, z);
      k = k2;
      while (b[k].owner == r && b[k].top > y) {
        k2 = keys.next(k + 1);
        flush(k, k2, z);
        keys.erase(k);
        k = k2;
      }
      b[first].top = y;
    }
  }
  for (std::size_t k = keys.next(1); k != right;) {
    const std::size_t k2 = keys.next(k + 1);
    flush(k, k2, ref[2]);
    k = k2;
  }
  return out;
}

}  // namespace moo::detail
