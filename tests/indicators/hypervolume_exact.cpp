// Hypervolume against brute force: inclusion-exclusion on small sets, cell counting on medium ones,
// and consistency between the 2-D, 3-D, 4-D (HV4D+) and 5-D+ (WFG) code paths on larger ones.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "indicators/brute_force.hpp"
#include "moo/indicators/hypervolume.hpp"

namespace {

using moo::test::close;

// m with one more objective, constant c, appended to every point.
moo::matrix with_constant_objective(const moo::matrix& m, double c) {
  moo::matrix out;
  for (std::size_t i = 0; i < m.rows(); ++i) {
    std::vector<double> r(m.row(i).begin(), m.row(i).end());
    r.push_back(c);
    out.push_back(r);
  }
  return out;
}

// m with its objectives in the order given by perm.
moo::matrix permuted(const moo::matrix& m, const std::vector<std::size_t>& perm) {
  moo::matrix out;
  std::vector<double> r(perm.size());
  for (std::size_t i = 0; i < m.rows(); ++i) {
    for (std::size_t k = 0; k < perm.size(); ++k) r[k] = m(i, perm[k]);
    out.push_back(r);
  }
  return out;
}

}  // namespace

TEST_CASE("hypervolume: small awkward sets equal inclusion-exclusion, 2 to 6 objectives") {
  const std::uint64_t base_seed = 1000;
  MESSAGE("seeds ", base_seed, " .. ", base_seed + 599);
  int compared = 0;
  for (std::uint64_t s = 0; s < 600; ++s) {
    moo::rng r(base_seed + s);
    const std::size_t d = 2 + s % 5;
    const std::size_t n = 1 + r.index(10);
    const auto pts = moo::test::awkward_points(n, d, r);
    const std::vector<double> ref(d, 1.0);
    const double expected = moo::test::hv_inclusion_exclusion(pts, ref);
    const double got = moo::hypervolume(pts, ref);
    INFO("seed ", base_seed + s, ", d = ", d, ", n = ", n);
    CHECK(close(got, expected));
    ++compared;
  }
  CHECK(compared == 600);
}

TEST_CASE("hypervolume: brute-force references agree with each other") {
  // The two references are independent; if they agree, a disagreement with hypervolume() is its bug.
  const std::uint64_t seed = 77;
  MESSAGE("seed ", seed);
  moo::rng r(seed);
  for (std::size_t d = 2; d <= 5; ++d) {
    const auto pts = moo::test::awkward_points(9, d, r);
    const std::vector<double> ref(d, 1.0);
    CHECK(close(moo::test::hv_grid(pts, ref), moo::test::hv_inclusion_exclusion(pts, ref)));
  }
}

TEST_CASE("hypervolume: many ties on a coarse grid equal cell counting, 3 to 6 objectives") {
  // Integer-grid coordinates make equal values in every objective common, the hard case for the
  // sweeps' tie handling; a reference on a grid level puts points exactly on the box boundary.
  const std::uint64_t base_seed = 2000;
  MESSAGE("seeds ", base_seed, " .. ", base_seed + 199);
  for (std::uint64_t s = 0; s < 200; ++s) {
    moo::rng r(base_seed + s);
    const std::size_t d = 3 + s % 4;
    const std::size_t n = d <= 4 ? 50 : 14;
    const std::size_t levels = 2 + r.index(5);
    moo::matrix pts;
    std::vector<double> p(d);
    for (std::size_t i = 0; i < n; ++i) {
      for (auto& x : p) x = static_cast<double>(r.index(levels));
      pts.push_back(p);
    }
    std::vector<double> ref(d, static_cast<double>(levels));
    if (s % 3 == 0) ref[s % d] = static_cast<double>(levels - 1);
    INFO("seed ", base_seed + s, ", d = ", d, ", levels = ", levels);
    CHECK(close(moo::hypervolume(pts, ref), moo::test::hv_grid(pts, ref)));
  }
}

TEST_CASE("hypervolume: medium sets (n = 50) equal cell counting in 3 and 4 objectives") {
  const std::uint64_t base_seed = 3000;
  MESSAGE("seeds ", base_seed, " .. ", base_seed + 39);
  for (std::uint64_t s = 0; s < 40; ++s) {
    moo::rng r(base_seed + s);
    const std::size_t d = 3 + s % 2;
    const bool sphere = s % 4 < 2;
    const auto pts = sphere ? moo::test::sphere_points(50, d, r) : moo::test::awkward_points(50, d, r);
    const std::vector<double> ref(d, sphere ? 1.1 : 1.0);
    INFO("seed ", base_seed + s, ", d = ", d, sphere ? ", sphere" : ", awkward");
    CHECK(close(moo::hypervolume(pts, ref), moo::test::hv_grid(pts, ref)));
  }
}

TEST_CASE("hypervolume: a constant extra objective scales the volume, across every code path") {
  // hv(points x {c}) = hv(points) * (ref - c): the (d+1)-objective algorithm must agree with the
  // d-objective one -- 3-D sweep vs 2-D, HV4D+ vs 3-D, WFG vs HV4D+, WFG(6) vs WFG(5) -- on sets too
  // large for brute force.
  const std::uint64_t seed = 4000;
  MESSAGE("seed ", seed);
  moo::rng r(seed);
  for (std::size_t d = 2; d <= 5; ++d) {
    for (bool sphere : {true, false}) {
      const std::size_t n = d == 5 ? 150 : 400;
      const auto pts = sphere ? moo::test::sphere_points(n, d, r) : moo::test::awkward_points(n, d, r);
      std::vector<double> ref(d, sphere ? 1.1 : 1.0);
      const double base = moo::hypervolume(pts, ref);
      ref.push_back(1.0);
      INFO("d = ", d, sphere ? ", sphere" : ", awkward");
      CHECK(base > 0.0);
      CHECK(close(moo::hypervolume(with_constant_objective(pts, 0.25), ref), base * 0.75));
    }
  }
}

TEST_CASE("hypervolume: does not depend on the order of objectives or points") {
  const std::uint64_t seed = 5000;
  MESSAGE("seed ", seed);
  moo::rng r(seed);
  for (std::size_t d = 3; d <= 5; ++d) {
    const auto pts = moo::test::sphere_points(d == 5 ? 300 : 1000, d, r);
    const std::vector<double> ref(d, 1.1);
    const double base = moo::hypervolume(pts, ref);
    std::vector<std::size_t> perm(d);
    for (std::size_t k = 0; k < d; ++k) perm[k] = (k + 1) % d;
    std::vector<std::size_t> rows(pts.rows());
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = i;
    r.shuffle(rows.begin(), rows.end());
    INFO("d = ", d);
    CHECK(close(moo::hypervolume(permuted(pts, perm), ref), base));
    CHECK(close(moo::hypervolume(pts.select(rows), ref), base));
  }
}
