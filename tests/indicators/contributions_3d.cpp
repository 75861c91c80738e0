// Three-objective exclusive contributions (the HVC3D sweep) against two definitions: the cells of the
// grid of all coordinates that exactly one point dominates, and hv(S) - hv(S \ {i}). Integer
// coordinates make every volume exact in double, so those sets are compared for equality.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "indicators/brute_force.hpp"
#include "moo/indicators/hypervolume.hpp"

namespace {

// Exclusive contributions by cell ownership: the distinct coordinates cut each axis into intervals; a
// cell belongs to point i iff i is the only row (duplicates count separately) weakly dominating its
// lower corner. O(cells * n); independent of any hypervolume code.
std::vector<double> hvc3_cells(const moo::matrix& pts, const std::vector<double>& ref) {
  const std::size_t n = pts.rows();
  std::vector<double> axis[3];
  for (std::size_t k = 0; k < 3; ++k) {
    for (std::size_t i = 0; i < n; ++i)
      if (pts(i, k) < ref[k]) axis[k].push_back(pts(i, k));
    std::sort(axis[k].begin(), axis[k].end());
    axis[k].erase(std::unique(axis[k].begin(), axis[k].end()), axis[k].end());
    axis[k].push_back(ref[k]);
  }
  std::vector<double> out(n, 0.0);
  for (std::size_t a = 0; a + 1 < axis[0].size(); ++a)
    for (std::size_t b = 0; b + 1 < axis[1].size(); ++b)
      for (std::size_t c = 0; c + 1 < axis[2].size(); ++c) {
        const double x = axis[0][a], y = axis[1][b], z = axis[2][c];
        std::size_t owners = 0, owner = 0;
        for (std::size_t i = 0; i < n; ++i)
          if (pts(i, 0) <= x && pts(i, 1) <= y && pts(i, 2) <= z) {
            ++owners;
            owner = i;
          }
        if (owners == 1) out[owner] += (axis[0][a + 1] - x) * (axis[1][b + 1] - y) * (axis[2][c + 1] - z);
      }
  return out;
}

// hv(S) - hv(S \ {i}) for every i, with moo::hypervolume (whose 3-D sweep is tested against brute force
// in hypervolume_exact.cpp).
std::vector<double> hvc3_by_removal(const moo::matrix& pts, const std::vector<double>& ref) {
  const double all = moo::hypervolume(pts, ref);
  std::vector<double> out(pts.rows());
  std::vector<std::size_t> others;
  for (std::size_t i = 0; i < pts.rows(); ++i) {
    others.clear();
    for (std::size_t j = 0; j < pts.rows(); ++j)
      if (j != i) others.push_back(j);
    out[i] = all - moo::hypervolume(pts.select(others), ref);
  }
  return out;
}

// n points with integer coordinates in [0, levels), plus copies of earlier points and points on the
// reference boundary: ties in every coordinate, duplicates and dominated points are common.
moo::matrix hvc3_grid_points(std::size_t n, std::size_t levels, moo::rng& r) {
  moo::matrix m;
  std::vector<double> p(3);
  while (m.rows() < n) {
    if (m.rows() > 0 && r.bernoulli(0.1)) {
      const auto src = m.row(r.index(m.rows()));
      p.assign(src.begin(), src.end());
    } else {
      for (auto& x : p) x = static_cast<double>(r.index(levels));
    }
    m.push_back(p);
  }
  return m;
}

}  // namespace

TEST_CASE("hypervolume_contributions 3-D: exact on integer grids (ties, duplicates, boundary points)") {
  const std::uint64_t base_seed = 14000;
  MESSAGE("seeds ", base_seed, " .. ", base_seed + 399);
  for (std::uint64_t s = 0; s < 400; ++s) {
    moo::rng r(base_seed + s);
    const std::size_t levels = 2 + r.index(6);
    const std::size_t n = 1 + r.index(s % 4 == 0 ? 80 : 30);
    const auto pts = hvc3_grid_points(n, levels, r);
    std::vector<double> ref(3, static_cast<double>(levels));
    if (s % 3 == 0) ref[s % 2] = static_cast<double>(levels - 1);  // some points on the boundary
    const auto c = moo::hypervolume_contributions(pts, ref);
    const auto cells = hvc3_cells(pts, ref);
    const auto removal = hvc3_by_removal(pts, ref);
    REQUIRE(c.size() == n);
    for (std::size_t i = 0; i < n; ++i) {
      INFO("seed ", base_seed + s, ", n = ", n, ", levels = ", levels, ", point ", i);
      CHECK(c[i] == cells[i]);
      CHECK(c[i] == removal[i]);
    }
  }
}

TEST_CASE("hypervolume_contributions 3-D: does not depend on the order of objectives or of points") {
  // The sweep treats x, y and z differently; every permutation of the objectives must give the same
  // contributions (exactly, on integer coordinates), and so must a shuffled row order.
  const std::uint64_t base_seed = 14500;
  MESSAGE("seeds ", base_seed, " .. ", base_seed + 99);
  const std::size_t perms[6][3] = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
  for (std::uint64_t s = 0; s < 100; ++s) {
    moo::rng r(base_seed + s);
    const auto pts = hvc3_grid_points(60, 3 + r.index(8), r);
    const std::vector<double> ref{9.0, 10.0, 11.0};
    const auto base = moo::hypervolume_contributions(pts, ref);
    for (const auto& perm : perms) {
      moo::matrix permuted;
      for (std::size_t i = 0; i < pts.rows(); ++i)
        permuted.push_back(std::vector<double>{pts(i, perm[0]), pts(i, perm[1]), pts(i, perm[2])});
      const std::vector<double> pref{ref[perm[0]], ref[perm[1]], ref[perm[2]]};
      INFO("seed ", base_seed + s, ", permutation ", perm[0], perm[1], perm[2]);
      CHECK(moo::hypervolume_contributions(permuted, pref) == base);
    }
    std::vector<std::size_t> rows(pts.rows());
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = i;
    r.shuffle(rows.begin(), rows.end());
    const auto shuffled = moo::hypervolume_contributions(pts.select(rows), ref);
    for (std::size_t i = 0; i < rows.size(); ++i) CHECK(shuffled[i] == base[rows[i]]);
  }
}

TEST_CASE(
    "hypervolume_contributions 3-D: real-valued awkward and spherical sets equal hv(S) - hv(S \\ {i})") {
  const std::uint64_t base_seed = 14700;
  MESSAGE("seeds ", base_seed, " .. ", base_seed + 59);
  for (std::uint64_t s = 0; s < 60; ++s) {
    moo::rng r(base_seed + s);
    const bool sphere = s % 2 == 0;
    const std::size_t n = 2 + r.index(120);
    const auto pts = sphere ? moo::test::sphere_points(n, 3, r) : moo::test::awkward_points(n, 3, r);
    const std::vector<double> ref(3, sphere ? 1.1 : 1.0);
    const auto c = moo::hypervolume_contributions(pts, ref);
    const auto removal = hvc3_by_removal(pts, ref);
    const double all = moo::hypervolume(pts, ref);
    for (std::size_t i = 0; i < n; ++i) {
      INFO("seed ", base_seed + s, (sphere ? ", sphere" : ", awkward"), ", n = ", n, ", point ", i);
      CHECK(c[i] >= 0.0);
      // hv(S) - hv(S \ {i}) cancels: its error is relative to hv(S), not to the contribution.
      CHECK(std::abs(c[i] - removal[i]) <= 1e-12 * all);
    }
    if (n <= 25) {
      const auto cells = hvc3_cells(pts, ref);
      for (std::size_t i = 0; i < n; ++i) CHECK(moo::test::close(c[i], cells[i], 1e-10));
    }
  }
}

TEST_CASE("hypervolume_contributions 3-D: agrees with the limit-set path on large sets") {
  const std::uint64_t seed = 14800;
  MESSAGE("seed ", seed);
  moo::rng r(seed);
  for (const bool sphere : {true, false}) {
    const std::size_t n = sphere ? 1500 : 800;
    const auto pts = sphere ? moo::test::sphere_points(n, 3, r) : moo::test::awkward_points(n, 3, r);
    const std::vector<double> ref(3, sphere ? 1.1 : 1.0);
    std::vector<std::size_t> kept;
    const auto inside = moo::detail::hv_prepare(pts, ref, {}, "test", &kept);
    const auto c = moo::detail::hvc3d(inside.data(), kept.size(), ref.data());
    const auto limit = moo::detail::hvc_limit_sets<3>(inside.data(), kept.size(), 3, ref.data());
    const double all = moo::hypervolume(pts, ref);
    double sum = 0.0;
    for (std::size_t i = 0; i < kept.size(); ++i) {
      INFO((sphere ? "sphere" : "awkward"), ", point ", kept[i]);
      CHECK(std::abs(c[i] - limit[i]) <= 1e-13 * all);
      sum += c[i];
    }
    if (sphere) CHECK(sum > 0.0);  // the awkward set holds (0, 0, 0) twice: every contribution is 0
    CHECK(sum <= all * (1 + 1e-12));
  }
}

TEST_CASE("hypervolume_contributions 3-D: degenerate sets") {
  SUBCASE("all points at one height: the 2-D contributions times the height left") {
    const moo::matrix pts{{1, 4, 2}, {2, 3, 2}, {3, 1, 2}, {2, 3, 2}, {4, 4, 2}, {0.5, 5, 2}};
    const auto c = moo::hypervolume_contributions(pts, {5.0, 6.0, 7.0});
    const auto c2 = moo::hypervolume_contributions(
        moo::matrix{{1, 4}, {2, 3}, {3, 1}, {2, 3}, {4, 4}, {0.5, 5}}, {5.0, 6.0});
    for (std::size_t i = 0; i < c.size(); ++i) CHECK(c[i] == c2[i] * 5.0);
  }
  SUBCASE("a single point: its box; two copies: both 0; a dominated point lowers its dominator's") {
    CHECK(moo::hypervolume_contributions(moo::matrix{{1, 2, 3}}, {2.0, 4.0, 7.0}) ==
          std::vector<double>{8.0});
    CHECK(moo::hypervolume_contributions(moo::matrix{{1, 2, 3}, {1, 2, 3}}, {2.0, 4.0, 7.0}) ==
          std::vector<double>{0.0, 0.0});
    // (1,1,1) alone: 27; (2,2,2) covers 8 of it; (0,5,0) on the boundary changes nothing.
    CHECK(moo::hypervolume_contributions(moo::matrix{{1, 1, 1}, {2, 2, 2}, {0, 4, 0}}, {4.0, 4.0, 4.0}) ==
          std::vector<double>{19.0, 0.0, 0.0});
  }
  SUBCASE("points equal in two objectives: only the best in the third contributes") {
    const auto c =
        moo::hypervolume_contributions(moo::matrix{{1, 1, 3}, {1, 1, 2}, {1, 1, 2.5}}, {2.0, 2.0, 4.0});
    CHECK(c == std::vector<double>{0.0, 0.5, 0.0});
  }
  SUBCASE("every point outside: all 0") {
    CHECK(moo::hypervolume_contributions(moo::matrix{{1, 1, 5}, {5, 1, 1}}, {4.0, 4.0, 4.0}) ==
          std::vector<double>{0.0, 0.0});
  }
}
