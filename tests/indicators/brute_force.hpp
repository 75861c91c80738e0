// Slow, obviously correct hypervolume references for the tests: inclusion-exclusion over subsets and
// counting the cells of the grid spanned by all coordinates. Plus random point sets with ties.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "moo/core/matrix.hpp"
#include "moo/core/rng.hpp"

namespace moo::test {

// Union of the boxes [p, ref] by inclusion-exclusion over all non-empty subsets: the intersection of
// boxes is the box of the coordinate-wise maximum. Exponential; n <= ~12.
inline double hv_inclusion_exclusion(const matrix& pts, const std::vector<double>& ref) {
  const std::size_t n = pts.rows(), d = ref.size();
  double total = 0.0;
  std::vector<double> corner(d);
  for (std::uint32_t mask = 1; mask < (1u << n); ++mask) {
    std::fill(corner.begin(), corner.end(), -1e300);
    int bits = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (!(mask >> i & 1u)) continue;
      ++bits;
      for (std::size_t k = 0; k < d; ++k) corner[k] = std::max(corner[k], pts(i, k));
    }
    double v = 1.0;
    for (std::size_t k = 0; k < d; ++k) v *= std::max(0.0, ref[k] - corner[k]);
    total += (bits % 2 ? 1.0 : -1.0) * v;
  }
  return total;
}

// Union of the boxes by coordinate compression: the distinct coordinates (and the reference) cut each
// axis into intervals; a cell is dominated iff some point is <= its lower corner, which a prefix-OR along
// every axis propagates from the cells that hold a point. Exact; cost is the number of cells.
inline double hv_grid(const matrix& pts, const std::vector<double>& ref) {
  const std::size_t n = pts.rows(), d = ref.size();
  std::vector<std::vector<double>> axis(d);
  for (std::size_t k = 0; k < d; ++k) {
    for (std::size_t i = 0; i < n; ++i)
      if (pts(i, k) < ref[k]) axis[k].push_back(pts(i, k));
    std::sort(axis[k].begin(), axis[k].end());
    axis[k].erase(std::unique(axis[k].begin(), axis[k].end()), axis[k].end());
    axis[k].push_back(ref[k]);
  }
  std::vector<std::size_t> stride(d);
  std::size_t cells = 1;
  for (std::size_t k = 0; k < d; ++k) {
    stride[k] = cells;
    cells *= axis[k].size() - 1;  // interval c is [axis[c], axis[c+1])
  }
  if (cells == 0) return 0.0;
  std::vector<std::uint8_t> covered(cells, 0);
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t at = 0;
    bool inside = true;
    for (std::size_t k = 0; k < d; ++k) {
      if (!(pts(i, k) < ref[k])) inside = false;
      if (!inside) break;
      const auto c = static_cast<std::size_t>(std::lower_bound(axis[k].begin(), axis[k].end(), pts(i, k)) -
                                              axis[k].begin());
      at += c * stride[k];
    }
    if (inside) covered[at] = 1;
  }
  for (std::size_t k = 0; k < d; ++k) {  // prefix-OR along axis k, block by block
    const std::size_t len = axis[k].size() - 1, block = stride[k] * len;
    for (std::size_t base = 0; base < cells; base += block)
      for (std::size_t c = 1; c < len; ++c)
        for (std::size_t in = 0; in < stride[k]; ++in)
          covered[base + c * stride[k] + in] |= covered[base + (c - 1) * stride[k] + in];
  }
  double total = 0.0;
  std::vector<std::size_t> idx(d, 0);  // multi-index of the current cell, first axis fastest
  for (std::size_t cell = 0; cell < cells; ++cell) {
    if (covered[cell]) {
      double v = 1.0;
      for (std::size_t k = 0; k < d; ++k) v *= axis[k][idx[k] + 1] - axis[k][idx[k]];
      total += v;
    }
    for (std::size_t k = 0; k < d && ++idx[k] == axis[k].size() - 1; ++k) idx[k] = 0;
  }
  return total;
}

// n points in d objectives with awkward structure: a noisy front on the simplex, some points on a
// coarse grid (ties in single coordinates), exact duplicates, dominated points, and points on or beyond
// the reference (all ones) in some objective.
inline matrix awkward_points(std::size_t n, std::size_t d, rng& r) {
  matrix m;
  std::vector<double> p(d);
  while (m.rows() < n) {
    const double kind = r.uniform();
    if (kind < 0.12 && m.rows() > 0) {  // duplicate
      const auto src = m.row(r.index(m.rows()));
      p.assign(src.begin(), src.end());
    } else if (kind < 0.24 && m.rows() > 0) {  // dominated by an existing point
      const auto src = m.row(r.index(m.rows()));
      for (std::size_t k = 0; k < d; ++k)
        p[k] = std::min(1.0, src[k] + (r.bernoulli(0.5) ? 0.0 : 0.25 * r.uniform()));
    } else if (kind < 0.32) {  // on or beyond the reference in one objective
      for (auto& x : p) x = r.uniform(0.0, 0.9);
      p[r.index(d)] = r.bernoulli(0.5) ? 1.0 : 1.2;
    } else if (kind < 0.6) {  // coarse grid: many equal coordinates
      for (auto& x : p) x = static_cast<double>(r.index(5)) * 0.2;
    } else {  // noisy simplex front
      double s = 0.0;
      for (auto& x : p) s += (x = r.uniform() + 1e-3);
      for (auto& x : p) x = std::min(0.999, x / s * 0.9 + 0.05 * r.uniform());
    }
    m.push_back(p);
  }
  return m;
}

// n points near the positive orthant of the unit sphere (radius 1 to 1.05): mostly non-dominated.
inline matrix sphere_points(std::size_t n, std::size_t d, rng& r) {
  matrix m;
  std::vector<double> p(d);
  for (std::size_t i = 0; i < n; ++i) {
    double s = 0.0;
    for (auto& x : p) {
      x = std::abs(r.normal());
      s += x * x;
    }
    const double radius = (1.0 + 0.05 * r.uniform()) / std::sqrt(s);
    for (auto& x : p) x *= radius;
    m.push_back(p);
  }
  return m;
}

// |a - b| within tol relative to max(1, |b|).
inline bool close(double a, double b, double tol = 1e-12) {
  return std::abs(a - b) <= tol * std::max(1.0, std::abs(b));
}

}  // namespace moo::test
