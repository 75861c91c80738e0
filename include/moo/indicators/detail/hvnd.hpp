// Hypervolume in any number of objectives: dispatch to the 2-D, 3-D and 4-D algorithms, and a WFG-style
// recursion above four objectives; exclusive contributions from limit sets.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "moo/indicators/detail/hv2d.hpp"
#include "moo/indicators/detail/hv3d.hpp"
#include "moo/indicators/detail/hv4d.hpp"
#include "moo/indicators/detail/hvc3d.hpp"
#include "moo/indicators/detail/nondominated.hpp"

namespace moo::detail {

inline double hv_any(const double* pts, std::size_t n, std::size_t d, const double* ref);

// Volume of the box between p and ref in the first d objectives.
inline double box_volume(const double* p, std::size_t d, const double* ref) {
  double v = 1.0;
  for (std::size_t i = 0; i < d; ++i) v *= ref[i] - p[i];
  return v;
}

// Number of set bits, inline (std::popcount is a library call unless the target has POPCNT).
inline std::uint32_t bit_count(std::uint64_t x) {
  x = x - ((x >> 1) & 0x5555555555555555ULL);
  x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
  x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
  return static_cast<std::uint32_t>((x * 0x0101010101010101ULL) >> 56);
}

// Bit c of the first mask is set iff q[c] > p[c], of the second iff q[c] > b[c], for c < M <= 64.
// With SSE2, two objectives per compare (the scalar form costs a compare, a set and a shift per bit).
template <std::size_t M>
std::pair<std::uint64_t, std::uint64_t> greater_masks(const double* q, const double* p, const double* b) {
  std::uint64_t mp = 0, mb = 0;
  std::size_t c = 0;
#if defined(__SSE2__)
  for (; c + 2 <= M; c += 2) {
    const __m128d qc = _mm_loadu_pd(q + c);
    mp |= static_cast<std::uint64_t>(_mm_movemask_pd(_mm_cmpgt_pd(qc, _mm_loadu_pd(p + c)))) << c;
    mb |= static_cast<std::uint64_t>(_mm_movemask_pd(_mm_cmpgt_pd(qc, _mm_loadu_pd(b + c)))) << c;
  }
#endif
  for (; c < M; ++c) {
    mp |= std::uint64_t{q[c] > p[c]} << c;
    mb |= std::uint64_t{q[c] > b[c]} << c;
  }
  return {mp, mb};
}

// Builds limit sets (WFG's limitset followed by nds: While, Bradstreet, Barone, "A fast way of
// calculating exact hypervolumes", IEEE TEVC 16(1), 2012, Sec. III) of the points of a set against the
// other points still in it: {max(p, q) : q != p}, reduced to its non-dominated points.
//
// Two observations keep this well below "every candidate, every time":
// - A candidate worse than p in a single objective c yields p with only c raised, which dominates every
//   limit point at least as bad in c; so the best such value per objective is a bound that discards
//   candidates before the non-dominance filter.
// - Scanning the candidates in ascending order of one objective c*, every candidate that can matter
//   comes before the first candidate worse than p in c* alone: the later ones are at least as bad in
//   c*, hence discarded by that bound; and the candidates that set the other bounds, or dominate p,
//   are better than p in c*, so they come earlier. c* is the objective in which p ranks best, which
//   makes the scan short.
// The candidates are kept in one doubly linked list per objective, so removing one is O(m).
// M > 0 fixes the number m of objectives at compile time.
template <std::size_t M>
class limit_set_builder {
 public:
  // n row-major points with `stride` values each, of which the first m are used; all are candidates.
  limit_set_builder(const double* pts, std::size_t n, std::size_t stride, std::size_t m)
      : pts_(pts),
        n_(n),
        stride_(stride),
        m_(M > 0 ? M : m),
        next_(m_ * (n + 1)),
        prev_(m_ * (n + 1)),
        rank_(m_ * n),
        filter_(m_),
        bound_(m_),
        l_(m_) {
    std::vector<std::uint32_t> order(n);
    for (std::size_t c = 0; c < m_; ++c) {
      std::iota(order.begin(), order.end(), std::uint32_t{0});
      std::sort(order.begin(), order.end(),
                [&](std::uint32_t a, std::uint32_t b) { return row(a)[c] < row(b)[c]; });
      // Node n of each list is its head (and tail) sentinel.
      std::uint32_t* next = next_.data() + c * (n + 1);
      std::uint32_t* prev = prev_.data() + c * (n + 1);
      std::uint32_t last = static_cast<std::uint32_t>(n);
      for (std::size_t r = 0; r < n; ++r) {
        rank_[c * n + order[r]] = static_cast<std::uint32_t>(r);
        next[last] = order[r];
        prev[order[r]] = last;
        last = order[r];
      }
      next[last] = static_cast<std::uint32_t>(n);
      prev[n] = last;
    }
  }

  // Candidate j leaves the set.
  void remove(std::size_t j) {
    for (std::size_t c = 0; c < m_; ++c) {
      std::uint32_t* next = next_.data() + c * (n_ + 1);
      std::uint32_t* prev = prev_.data() + c * (n_ + 1);
      next[prev[j]] = next[j];
      prev[next[j]] = prev[j];
    }
  }

  // Builds the limit set of point i over the other candidates. Returns false if one of them weakly
  // dominates point i (which then contributes nothing); else data()/size() hold the set.
  bool build(std::size_t i) {
    constexpr double inf = std::numeric_limits<double>::infinity();
    const std::size_t m = M > 0 ? M : m_;
    const double* p = row(i);
    std::size_t cs = 0;
    for (std::size_t c = 1; c < m; ++c)
      if (rank_[c * n_ + i] < rank_[cs * n_ + i]) cs = c;
    filter_.clear();
    const std::uint32_t* next = next_.data() + cs * (n_ + 1);
    if constexpr (M > 0 && M <= 64) {
      // m fixed: p and the bounds live in local arrays (registers), objectives compared in pairs.
      std::array<double, M> pv, bound, l;
      std::copy_n(p, M, pv.begin());
      bound.fill(inf);
      for (std::uint32_t j = next[n_]; j != n_; j = next[j]) {
        if (j == i) continue;
        const double* q = row(j);
        const auto [mask, beyond_mask] = greater_masks<M>(q, pv.data(), bound.data());
        if (mask == 0) return false;
        std::size_t which = M;
        if ((mask & (mask - 1)) == 0) {  // worse than p in one objective only
          which = static_cast<std::size_t>(std::countr_zero(mask));
          bound[which] = std::min(bound[which], q[which]);
        }
        if (beyond_mask == 0) {
          for (std::size_t c = 0; c < M; ++c) l[c] = std::max(q[c], pv[c]);
          filter_.add(l.data(), mask, bit_count(mask));
        }
        if (which == cs) break;
      }
      std::copy_n(bound.begin(), M, bound_.begin());
    } else {  // the same scan for any m
      std::fill(bound_.begin(), bound_.end(), inf);
      double* l = l_.data();
      for (std::uint32_t j = next[n_]; j != n_; j = next[j]) {
        if (j == i) continue;
        const double* q = row(j);
        std::uint32_t worse = 0;
        std::uint64_t mask = 0;
        bool beyond = false;
        for (std::size_t c = 0; c < m; ++c) {
          const bool w = q[c] > p[c];
          worse += w;
          if (c < 64) mask |= std::uint64_t{w} << c;
          beyond |= q[c] > bound_[c];
        }
        if (worse == 0) return false;
        std::size_t which = m;  // the objective of a candidate worse than p in one objective only
        if (worse == 1) {
          which = m <= 64 ? static_cast<std::size_t>(std::countr_zero(mask)) : first_worse(q, p);
          bound_[which] = std::min(bound_[which], q[which]);
        }
        if (!beyond) {
          for (std::size_t c = 0; c < m; ++c) l[c] = std::max(q[c], p[c]);
          filter_.add(l, mask, worse);
        }
        if (which == cs) break;
      }
    }
    // The bounds only tightened during the scan: candidates added before may lie beyond them now.
    filter_.reduce(bound_.data());
    return true;
  }

  const double* data() const { return filter_.data(); }
  std::size_t size() const { return filter_.size(); }

 private:
  const double* row(std::size_t j) const { return pts_ + j * stride_; }

  std::size_t first_worse(const double* q, const double* p) const {
    std::size_t c = 0;
    while (!(q[c] > p[c])) ++c;
    return c;
  }

  const double* pts_;
  std::size_t n_, stride_, m_;
  std::vector<std::uint32_t> next_, prev_;  // per objective: candidates in ascending order of it
  std::vector<std::uint32_t> rank_;         // per objective: position of each point in that order
  nondominated_filter<M> filter_;
  std::vector<double> bound_, l_;
};

// Hypervolume for d >= 5 objectives: a sweep along the last objective where each point adds its
// (d-1)-objective exclusive contribution with respect to the points before it, times its distance to
// the reference in the last objective; the contribution is the point's box minus the hypervolume of its
// limit set. This is WFG's exclusive-hypervolume recursion with its dimension-reducing sort (While,
// Bradstreet, Barone 2012, Eq. 2-4), bottoming out in HV4D+ at four objectives.
template <std::size_t M>
double hv_wfg(const double* pts, std::size_t n, std::size_t d, const double* ref) {
  const std::size_t m = d - 1;  // objectives of the limit sets
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), std::uint32_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::uint32_t a, std::uint32_t b) { return pts[a * d + m] < pts[b * d + m]; });
  std::vector<double> sorted(n * d);
  for (std::size_t k = 0; k < n; ++k) std::copy_n(pts + std::size_t{order[k]} * d, d, sorted.begin() + k * d);
  limit_set_builder<M> limit(sorted.data(), n, d, m);
  double hv = 0.0;
  for (std::size_t k = n; k-- > 0;) {  // the candidates of point k are the points before it
    const double* p = sorted.data() + k * d;
    if (limit.build(k))
      hv += (box_volume(p, m, ref) - hv_any(limit.data(), limit.size(), m, ref)) * (ref[m] - p[m]);
    limit.remove(k);
  }
  return hv;
}

// Hypervolume of n row-major points with d objectives, each strictly inside the reference box.
inline double hv_any(const double* pts, std::size_t n, std::size_t d, const double* ref) {
  if (n == 0) return 0.0;
  switch (d) {
    case 1: {
      double best = pts[0];
      for (std::size_t i = 1; i < n; ++i) best = std::min(best, pts[i]);
      return ref[0] - best;
    }
    case 2:
      return hv2d(pts, n, ref);
    case 3:
      return hv3d(pts, n, ref);
    case 4:
      return hv4d(pts, n, ref);
    case 5:
      return hv_wfg<4>(pts, n, d, ref);
    case 6:
      return hv_wfg<5>(pts, n, d, ref);
    default:
      return hv_wfg<0>(pts, n, d, ref);
  }
}

// Exclusive contribution hv(S) - hv(S \ {i}) of each of n points strictly inside the box, for any d (used
// for d >= 4; 2-D and 3-D have their own sweeps):
// the box of p minus the hypervolume of its limit set over all other points; 0 when another point
// weakly dominates p (so exact duplicates both get 0). One hypervolume of a small limit set per point.
template <std::size_t M>
std::vector<double> hvc_limit_sets(const double* pts, std::size_t n, std::size_t d, const double* ref) {
  std::vector<double> out(n, 0.0);
  limit_set_builder<M> limit(pts, n, d, d);
  for (std::size_t i = 0; i < n; ++i)
    if (limit.build(i)) out[i] = box_volume(pts + i * d, d, ref) - hv_any(limit.data(), limit.size(), d, ref);
  return out;
}

inline std::vector<double> hvc_any(const double* pts, std::size_t n, std::size_t d, const double* ref) {
  switch (d) {
    case 2:
      return hvc2d(pts, n, ref);
    case 3:
      return hvc3d(pts, n, ref);
    case 4:
      return hvc_limit_sets<4>(pts, n, d, ref);
    case 5:
      return hvc_limit_sets<5>(pts, n, d, ref);
    default:
      return hvc_limit_sets<0>(pts, n, d, ref);
  }
}

}  // namespace moo::detail
