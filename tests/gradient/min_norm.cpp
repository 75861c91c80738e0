// The min-norm element of a convex hull of gradients (MGD) and MODNAS's preference direction: the closed
// form for two gradients, brute force over a simplex grid and exhaustive face enumeration for three and
// four, invariance to order and scale, the optimality condition g_i . d >= |d|^2 - tol, and the errors.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <numeric>
#include <span>
#include <string>
#include <vector>

#include "moo/core/rng.hpp"
#include "moo/gradient/min_norm.hpp"
#include "support.hpp"

namespace min_norm_test {

double dot(std::span<const double> a, std::span<const double> b) {
  double s = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

moo::matrix gram_of(const moo::matrix& g) {
  moo::matrix m(g.rows(), g.rows());
  for (std::size_t i = 0; i < g.rows(); ++i)
    for (std::size_t j = 0; j < g.rows(); ++j) m(i, j) = dot(g.row(i), g.row(j));
  return m;
}

double quad(const moo::matrix& m, const std::vector<double>& a) {
  double s = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i)
    for (std::size_t j = 0; j < a.size(); ++j) s += a[i] * m(i, j) * a[j];
  return s;
}

double max_sq_norm(const moo::matrix& g) {
  double s = 0.0;
  for (std::size_t i = 0; i < g.rows(); ++i) s = std::max(s, dot(g.row(i), g.row(i)));
  return s;
}

moo::matrix random_gradients(moo::rng& r, std::size_t k, std::size_t n, double shift) {
  moo::matrix g(k, n);
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < n; ++j) g(i, j) = r.normal() + shift;
  return g;
}

// The exact minimum of a^T M a over the simplex by enumerating faces: on each face S whose gradients are
// affinely independent, the minimum over the face's affine hull solves [2 M_S 1; 1^T 0] [a; l] = [0; 1]
// (Gaussian elimination with partial pivoting; near-singular systems are skipped); it counts if a >= 0.
// The optimum lies in the relative interior of such a face (Caratheodory), so the least candidate is it.
double exact_min_sq_norm(const moo::matrix& m) {
  const std::size_t k = m.rows();
  double scale = 0.0;
  for (std::size_t i = 0; i < k; ++i) scale = std::max(scale, m(i, i));
  double best = std::numeric_limits<double>::infinity();
  for (std::uint32_t mask = 1; mask < (1u << k); ++mask) {
    std::vector<std::size_t> s;
    for (std::size_t i = 0; i < k; ++i)
      if (mask & (1u << i)) s.push_back(i);
    const std::size_t p = s.size(), q = p + 1;
    std::vector<double> a(q * (q + 1), 0.0);  // augmented q x (q + 1)
    auto at = [&](std::size_t i, std::size_t j) -> double& { return a[i * (q + 1) + j]; };
    for (std::size_t i = 0; i < p; ++i) {
      for (std::size_t j = 0; j < p; ++j) at(i, j) = 2.0 * m(s[i], s[j]) / std::max(scale, 1e-300);
      at(i, p) = 1.0;
      at(p, i) = 1.0;
    }
    at(p, q) = 1.0;
    bool singular = false;
    for (std::size_t c = 0; c < q && !singular; ++c) {
      std::size_t piv = c;
      for (std::size_t i = c + 1; i < q; ++i)
        if (std::abs(at(i, c)) > std::abs(at(piv, c))) piv = i;
      if (std::abs(at(piv, c)) < 1e-10) {
        singular = true;
        break;
      }
      for (std::size_t j = 0; j <= q; ++j) std::swap(at(c, j), at(piv, j));
      for (std::size_t i = 0; i < q; ++i)
        if (i != c) {
          const double f = at(i, c) / at(c, c);
          for (std::size_t j = c; j <= q; ++j) at(i, j) -= f * at(c, j);
        }
    }
    if (singular) continue;
    std::vector<double> w(k, 0.0);
    bool feasible = true;
    for (std::size_t i = 0; i < p; ++i) {
      w[s[i]] = at(i, q) / at(i, i);
      if (w[s[i]] < -1e-12) feasible = false;
    }
    if (feasible) best = std::min(best, quad(m, w));
  }
  return best;
}

// The weights lie on the simplex, the direction is their combination and the norm its length.
void check_consistent(const moo::matrix& g, const moo::min_norm_result& r) {
  REQUIRE(r.weights.size() == g.rows());
  REQUIRE(r.direction.size() == g.cols());
  double sum = 0.0;
  for (double w : r.weights) {
    CHECK(w >= 0.0);
    CHECK(w <= 1.0);
    sum += w;
  }
  CHECK(sum == doctest::Approx(1.0).epsilon(1e-12));
  const double scale = std::max(1.0, std::sqrt(max_sq_norm(g)));
  for (std::size_t c = 0; c < g.cols(); ++c) {
    double v = 0.0;
    for (std::size_t i = 0; i < g.rows(); ++i) v += r.weights[i] * g(i, c);
    CHECK(std::abs(r.direction[c] - v) <= 1e-12 * scale);
  }
  CHECK(r.norm == doctest::Approx(std::sqrt(dot(r.direction, r.direction))).epsilon(1e-12));
}

// The optimality (KKT) condition of the min-norm point: every gradient has g_i . d >= |d|^2 - tol.
void check_kkt(const moo::matrix& g, const moo::min_norm_result& r, double tol) {
  const double dd = dot(r.direction, r.direction);
  for (std::size_t i = 0; i < g.rows(); ++i) {
    INFO("gradient ", i, ": g.d = ", dot(g.row(i), r.direction), ", |d|^2 = ", dd);
    CHECK(dot(g.row(i), r.direction) >= dd - tol);
  }
}

// The closed form on the segment, written out independently of the library: the unconstrained minimiser
// of |w a + (1 - w) b|^2 clipped to [0, 1].
double pair_weight_reference(std::span<const double> a, std::span<const double> b) {
  const double aa = dot(a, a), ab = dot(a, b), bb = dot(b, b);
  const double den = aa + bb - 2.0 * ab;
  if (den <= 0.0) return 1.0;  // a == b
  return std::clamp((bb - ab) / den, 0.0, 1.0);
}

}  // namespace min_norm_test

using namespace min_norm_test;

TEST_CASE("min_norm: two gradients, closed-form cases") {
  SUBCASE("orthogonal, equal length: the midpoint") {
    const moo::matrix g{{1, 0}, {0, 1}};
    const auto r = moo::min_norm(g);
    check_consistent(g, r);
    CHECK(r.weights[0] == doctest::Approx(0.5));
    CHECK(r.direction[0] == doctest::Approx(0.5));
    CHECK(r.direction[1] == doctest::Approx(0.5));
    CHECK(r.norm == doctest::Approx(std::sqrt(0.5)));
    CHECK(r.iterations == 0);
    CHECK(r.converged);
  }
  SUBCASE("orthogonal, lengths 2 and 1: w = 1 / (4 + 1), d = (0.4, 0.8)") {
    const moo::matrix g{{2, 0}, {0, 1}};
    const auto r = moo::min_norm(g);
    check_consistent(g, r);
    CHECK(r.weights[0] == doctest::Approx(0.2));
    CHECK(r.direction[0] == doctest::Approx(0.4));
    CHECK(r.direction[1] == doctest::Approx(0.8));
    CHECK(r.norm * r.norm == doctest::Approx(0.8));
    check_kkt(g, r, 1e-12);  // both gradients are active: g_i . d = |d|^2 = 0.8
  }
  SUBCASE("opposite: d = 0 (Pareto-stationary)") {
    const moo::matrix g{{2, 0, 0}, {-1, 0, 0}};
    const auto r = moo::min_norm(g);
    check_consistent(g, r);
    CHECK(r.weights[0] == doctest::Approx(1.0 / 3.0));
    CHECK(r.norm == doctest::Approx(0.0).epsilon(1e-15));
  }
  SUBCASE("one gradient in the other's descent cone: the weight clips") {
    // a.b = 2 >= a.a = 1: a itself is the min-norm point, w = 1, and b . a = 2 >= |a|^2.
    const moo::matrix g{{1, 0}, {2, 1}};
    const auto r = moo::min_norm(g);
    check_consistent(g, r);
    CHECK(r.weights[0] == 1.0);
    CHECK(r.weights[1] == 0.0);
    CHECK(r.direction == std::vector<double>{1, 0});
    check_kkt(g, r, 0.0);
    // Swapped: the weight clips to 0 on the first.
    const moo::matrix h{{2, 1}, {1, 0}};
    const auto s = moo::min_norm(h);
    CHECK(s.weights[0] == 0.0);
    CHECK(s.weights[1] == 1.0);
    CHECK(s.direction == std::vector<double>{1, 0});
  }
  SUBCASE("equal gradients and a zero gradient") {
    const moo::matrix same{{3, -4}, {3, -4}};
    const auto r = moo::min_norm(same);
    CHECK(r.direction == std::vector<double>{3, -4});
    CHECK(r.norm == doctest::Approx(5.0));
    const moo::matrix zero{{0, 0}, {1, 1}};
    const auto z = moo::min_norm(zero);
    CHECK(z.weights[0] == 1.0);
    CHECK(z.norm == 0.0);
    const moo::matrix both{{0, 0}, {0, 0}};
    CHECK(moo::min_norm(both).norm == 0.0);
  }
  SUBCASE("min_norm_pair_weight on Gram entries") {
    CHECK(moo::min_norm_pair_weight(1, 0, 1) == 0.5);
    CHECK(moo::min_norm_pair_weight(4, 0, 1) == doctest::Approx(0.2));
    CHECK(moo::min_norm_pair_weight(1, 2, 5) == 1.0);
    CHECK(moo::min_norm_pair_weight(5, 2, 1) == 0.0);
    CHECK(moo::min_norm_pair_weight(2, 2, 2) == 1.0);
  }
}

TEST_CASE("min_norm: two random gradients against the closed form and a fine segment grid") {
  const std::uint64_t seed = 31;
  MESSAGE("seed ", seed);
  moo::rng rng(seed);
  int clipped = 0, interior = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const std::size_t n = 1 + static_cast<std::size_t>(trial % 5);
    // A shift makes the gradients agree often enough for the weight to clip.
    const moo::matrix g = random_gradients(rng, 2, n, trial % 2 == 0 ? 1.5 : 0.0);
    INFO("trial ", trial);
    const auto r = moo::min_norm(g);
    check_consistent(g, r);
    const double w = pair_weight_reference(g.row(0), g.row(1));
    CHECK(r.weights[0] == doctest::Approx(w).epsilon(1e-9));
    (w == 0.0 || w == 1.0 ? clipped : interior) += 1;
    // Brute force over 10,001 points of the segment: no point is shorter than d.
    const moo::matrix m = gram_of(g);
    double grid_min = std::numeric_limits<double>::infinity();
    for (int i = 0; i <= 10000; ++i) {
      const double a = i / 10000.0;
      grid_min = std::min(grid_min, quad(m, {a, 1.0 - a}));
    }
    CHECK(r.norm * r.norm <= grid_min + 1e-12 * max_sq_norm(g));
    CHECK(grid_min - r.norm * r.norm <= 1e-6 * max_sq_norm(g));
    check_kkt(g, r, 1e-12 * max_sq_norm(g));
  }
  MESSAGE(clipped, " clipped and ", interior, " interior weights");
  CHECK(clipped > 50);
  CHECK(interior > 50);
}

TEST_CASE("min_norm: three gradients against brute force over a fine simplex grid") {
  const std::uint64_t seed = 7;
  MESSAGE("seed ", seed);
  moo::rng rng(seed);
  const int steps = 400;  // 80,601 grid points; the nearest one is within 2 / steps in l1 of the optimum
  for (int trial = 0; trial < 60; ++trial) {
    const std::size_t n = 2 + static_cast<std::size_t>(trial % 4);
    const moo::matrix g = random_gradients(rng, 3, n, trial % 3 == 0 ? 1.0 : 0.0);
    INFO("trial ", trial, ", n = ", n);
    const auto r = moo::min_norm(g);
    check_consistent(g, r);
    CHECK(r.converged);
    const moo::matrix m = gram_of(g);
    const double scale = max_sq_norm(g);
    double grid_min = std::numeric_limits<double>::infinity();
    for (int i = 0; i <= steps; ++i)
      for (int j = 0; i + j <= steps; ++j)
        grid_min = std::min(grid_min, quad(m, {double(i) / steps, double(j) / steps, double(steps - i - j) / steps}));
    const double dd = r.norm * r.norm;
    // No grid point is shorter than d (up to rounding), and the grid's best is no farther above |d|^2 than
    // f(a) - f(a*) <= grad f(a*) . (a - a*) + (a - a*)^T M (a - a*) allows for |a - a*|_1 <= 2 / steps.
    CHECK(dd <= grid_min + 1e-12 * scale);
    double max_gd = 0.0;
    for (std::size_t i = 0; i < 3; ++i) max_gd = std::max(max_gd, std::abs(dot(g.row(i), r.direction)));
    const double h = 2.0 / steps;
    CHECK(grid_min - dd <= 2.0 * max_gd * h + scale * h * h);
    // And against the exact optimum: 0 <= |d|^2 - f* <= gap.
    const double exact = exact_min_sq_norm(m);
    CHECK(dd >= exact - 1e-12 * scale);
    CHECK(dd <= exact + r.gap + 1e-12 * scale);
    check_kkt(g, r, 1e-8 * scale + 1e-12 * scale);
  }
}

TEST_CASE("min_norm: three gradients with the optimum on a vertex, an edge and inside") {
  // A vertex: (1,0) is in the descent cone of the others (its inner products with them are >= 1).
  const moo::matrix vertex{{1, 0}, {2, 1}, {1.5, -2}};
  const auto v = moo::min_norm(vertex);
  CHECK(v.weights[0] == doctest::Approx(1.0).epsilon(1e-8));
  CHECK(v.direction[0] == doctest::Approx(1.0).epsilon(1e-8));
  CHECK(v.direction[1] == doctest::Approx(0.0).scale(1.0).epsilon(1e-8));
  // An edge: (1,0) and (0,1) meet at (0.5, 0.5); (3,3) lies beyond it, so its weight is 0.
  const moo::matrix edge{{1, 0}, {0, 1}, {3, 3}};
  const auto e = moo::min_norm(edge);
  CHECK(e.weights[2] == doctest::Approx(0.0).scale(1.0).epsilon(1e-8));
  CHECK(e.direction[0] == doctest::Approx(0.5).epsilon(1e-6));
  CHECK(e.direction[1] == doctest::Approx(0.5).epsilon(1e-6));
  // Inside: three unit vectors 120 degrees apart surround the origin; d = 0 with equal weights (the
  // barycentre, Frank-Wolfe's start, so no step is needed).
  const double c = std::cos(2.0 * std::numbers::pi / 3.0), s = std::sin(2.0 * std::numbers::pi / 3.0);
  const moo::matrix inside{{1, 0}, {c, s}, {c, -s}};
  const auto i = moo::min_norm(inside);
  CHECK(i.norm == doctest::Approx(0.0).scale(1.0).epsilon(1e-12));
  for (double w : i.weights) CHECK(w == doctest::Approx(1.0 / 3.0));
  // Orthonormal in R^3: the barycentre, |d|^2 = 1/3.
  const moo::matrix ortho{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  const auto o = moo::min_norm(ortho);
  CHECK(o.norm * o.norm == doctest::Approx(1.0 / 3.0));
  CHECK(o.iterations == 0);
}

TEST_CASE("min_norm: random k = 3, 4, 5 against exhaustive face enumeration, with the KKT condition") {
  const std::uint64_t seed = 2024;
  MESSAGE("seed ", seed);
  moo::rng rng(seed);
  int unconverged = 0;
  for (int trial = 0; trial < 600; ++trial) {
    const std::size_t k = 3 + static_cast<std::size_t>(trial % 3);
    const std::size_t n = 1 + static_cast<std::size_t>((trial / 3) % 7);
    const double shift = trial % 4 == 0 ? 2.0 : (trial % 4 == 1 ? 0.5 : 0.0);
    const moo::matrix g = random_gradients(rng, k, n, shift);
    INFO("trial ", trial, ", k = ", k, ", n = ", n);
    const auto r = moo::min_norm(g);
    check_consistent(g, r);
    const double scale = max_sq_norm(g);
    if (!r.converged) {
      // Ill-conditioned hulls (more gradients than dimensions, the origin nearly on a face) can exhaust the
      // iterations; the reported gap must then be the true one and above the tolerance.
      ++unconverged;
      CHECK(r.iterations == moo::min_norm_options{}.max_iterations);
      CHECK(r.gap > 1e-8 * scale);
    }
    const double dd = r.norm * r.norm;
    double min_gd = std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < k; ++i) min_gd = std::min(min_gd, dot(g.row(i), r.direction));
    CHECK(dd - min_gd == doctest::Approx(r.gap).scale(scale).epsilon(1e-9));
    const double exact = exact_min_sq_norm(gram_of(g));
    CHECK(dd >= exact - 1e-11 * scale);
    CHECK(dd <= exact + std::max(r.gap, 0.0) + 1e-11 * scale);
    if (r.converged) check_kkt(g, r, 1e-8 * scale + 1e-12 * scale);
  }
  MESSAGE(unconverged, " of 600 solves ran out of iterations");
  CHECK(unconverged <= 6);
}

TEST_CASE("min_norm: invariant to the order and the scale of the gradients") {
  const std::uint64_t seed = 99;
  MESSAGE("seed ", seed);
  moo::rng rng(seed);
  const moo::min_norm_options tight{.tolerance = 1e-13, .max_iterations = 100000};
  for (int trial = 0; trial < 100; ++trial) {
    // k <= n + 1 random gradients are affinely independent, so the weights are unique.
    const std::size_t k = 2 + static_cast<std::size_t>(trial % 4);
    const std::size_t n = k + static_cast<std::size_t>(trial % 2);
    const moo::matrix g = random_gradients(rng, k, n, trial % 3 == 0 ? 1.0 : 0.0);
    INFO("trial ", trial, ", k = ", k);
    const auto r = moo::min_norm(g, tight);
    REQUIRE(r.converged);
    // Reversed order: the same norm, the weights reversed.
    moo::matrix rev;
    for (std::size_t i = k; i-- > 0;) rev.push_back(g.row(i));
    const auto q = moo::min_norm(rev, tight);
    CHECK(q.norm == doctest::Approx(r.norm).scale(std::sqrt(max_sq_norm(g))).epsilon(1e-6));
    for (std::size_t i = 0; i < k; ++i) CHECK(q.weights[k - 1 - i] == doctest::Approx(r.weights[i]).scale(1.0).epsilon(1e-5));
    // Scaled by a power of two: bit-identical weights, the direction scaled exactly.
    moo::matrix big = g;
    for (std::size_t i = 0; i < k; ++i)
      for (std::size_t j = 0; j < n; ++j) big(i, j) *= 1024.0;
    const auto b = moo::min_norm(big, tight);
    CHECK(b.weights == r.weights);
    CHECK(b.norm == r.norm * 1024.0);
    // Scaled by 3e-4: the same weights up to rounding.
    moo::matrix small = g;
    for (std::size_t i = 0; i < k; ++i)
      for (std::size_t j = 0; j < n; ++j) small(i, j) *= 3e-4;
    const auto s = moo::min_norm(small, tight);
    for (std::size_t i = 0; i < k; ++i) CHECK(s.weights[i] == doctest::Approx(r.weights[i]).scale(1.0).epsilon(1e-5));
    CHECK(s.norm == doctest::Approx(r.norm * 3e-4).scale(3e-4).epsilon(1e-6));
  }
}

TEST_CASE("min_norm: Sener & Koltun's Algorithm 2 without away steps, and the iteration limit") {
  const moo::matrix g{{1, 0}, {0, 1}, {3, 3}, {2, -0.5}};
  const auto away = moo::min_norm(g);
  const auto plain = moo::min_norm(g, {.tolerance = 1e-6, .max_iterations = 100000, .away_steps = false});
  CHECK(away.converged);
  CHECK(plain.converged);
  // The optimum is the edge midpoint (0.5, 0.5), |d*|^2 = 0.5: away steps reach it; plain Frank-Wolfe
  // zig-zags toward it and stops within its gap (which bounds |d|^2 - |d*|^2).
  CHECK(away.norm * away.norm == doctest::Approx(0.5).epsilon(1e-12));
  CHECK(plain.norm * plain.norm >= 0.5 - 1e-12);
  CHECK(plain.norm * plain.norm <= 0.5 + plain.gap + 1e-12);
  CHECK(plain.iterations > away.iterations);
  check_kkt(g, plain, 1e-6 * 18.0 + 1e-12);
  // Two plain iterations are not enough: the last iterate comes back, unconverged, with its gap.
  const auto cut = moo::min_norm(g, {.tolerance = 1e-12, .max_iterations = 2, .away_steps = false});
  CHECK_FALSE(cut.converged);
  CHECK(cut.iterations == 2);
  CHECK(cut.gap > 0.0);
  check_consistent(g, cut);
}

TEST_CASE("min_norm: the Gram-matrix and vector entry points agree with the matrix one") {
  moo::rng rng(5);
  const moo::matrix g = random_gradients(rng, 4, 6, 0.3);
  const auto r = moo::min_norm(g);
  const auto q = moo::min_norm_gram(gram_of(g));
  CHECK(q.direction.empty());
  CHECK(q.iterations == r.iterations);
  for (std::size_t i = 0; i < 4; ++i) CHECK(q.weights[i] == doctest::Approx(r.weights[i]).epsilon(1e-12));
  CHECK(q.norm == doctest::Approx(r.norm).epsilon(1e-7));
  std::vector<std::vector<double>> rows;
  for (std::size_t i = 0; i < 4; ++i) rows.emplace_back(g.row(i).begin(), g.row(i).end());
  const auto v = moo::min_norm(rows);
  CHECK(v.weights == r.weights);
  CHECK(v.direction == r.direction);
  // One gradient: itself.
  const auto one = moo::min_norm(moo::matrix{{3, 4}});
  CHECK(one.weights == std::vector<double>{1.0});
  CHECK(one.norm == 5.0);
}

TEST_CASE("min_norm: errors name the offending input") {
  using test_support::error_of;
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(error_of<moo::value_error>([] { moo::min_norm(moo::matrix{}); }) == "min_norm: no gradients");
  CHECK(error_of<moo::value_error>([] { moo::min_norm(std::vector<std::vector<double>>{}); }) == "min_norm: no gradients");
  CHECK(error_of<moo::value_error>([] { moo::min_norm(std::vector<std::vector<double>>{{}, {}}); }) ==
        "min_norm: the gradients have no coordinates");
  CHECK(error_of<moo::dimension_error>([] { moo::min_norm(std::vector<std::vector<double>>{{1, 2}, {1, 2}, {3}}); }) ==
        "min_norm: gradient 2 has 1 coordinates, gradient 0 has 2");
  CHECK(error_of<moo::value_error>([&] { moo::min_norm(moo::matrix{{1, 2}, {3, nan}}); }) ==
        "min_norm: non-finite value nan in gradient 1 at coordinate 1");
  CHECK(error_of<moo::value_error>([&] { moo::min_norm(moo::matrix{{-inf, 2}, {3, 4}}); }) ==
        "min_norm: non-finite value -inf in gradient 0 at coordinate 0");
  CHECK(error_of<moo::value_error>([] { moo::min_norm(moo::matrix{{1e200, 0}, {0, 1}}); }).find("overflows") !=
        std::string::npos);
  CHECK(error_of<moo::value_error>([] { moo::min_norm_gram(moo::matrix{}); }) == "min_norm_gram: no gradients");
  CHECK(error_of<moo::dimension_error>([] { moo::min_norm_gram(moo::matrix{{1, 0, 0}, {0, 1, 0}}); }) ==
        "min_norm_gram: the Gram matrix is 2 x 3, not square");
  CHECK(error_of<moo::value_error>([] { moo::min_norm_gram(moo::matrix{{1, 0.5}, {0.4, 1}}); }).find("not symmetric") !=
        std::string::npos);
  CHECK(error_of<moo::value_error>([] { moo::min_norm_gram(moo::matrix{{1, 0}, {0, -1}}); }) ==
        "min_norm_gram: negative squared norm -1 on the Gram diagonal at 1");
  CHECK(error_of<moo::value_error>([&] { moo::min_norm_gram(moo::matrix{{1, nan}, {nan, 1}}); }) ==
        "min_norm_gram: non-finite value nan in the Gram matrix at (0, 1)");
}

TEST_CASE("scalarize: the gradient of the preference-weighted loss") {
  const moo::matrix g{{1, 2, 3}, {-1, 0, 4}};
  const std::vector<double> r{0.25, 0.75};
  CHECK(moo::scalarize(g, r) == std::vector<double>{0.25 * 1 - 0.75, 0.5, 0.75 + 3.0});
  const std::vector<double> only_first{1.0, 0.0};
  CHECK(moo::scalarize(g, only_first) == std::vector<double>{1, 2, 3});
}

TEST_CASE("preference_mgd: scalarise per device, normalise, min-norm over the devices") {
  // Two devices, two objectives (say error and latency) in a 3-parameter hypernetwork.
  const std::vector<moo::matrix> grads{moo::matrix{{1, 0, 0}, {0, 2, 0}}, moo::matrix{{0, 0, 1}, {-1, 3, 0}}};
  const moo::matrix prefs{{0.5, 0.5}, {0.2, 0.8}};
  const auto r = moo::preference_mgd(grads, prefs);
  // By hand: s_0 = (0.5, 1, 0) / |.|, s_1 = (-0.8, 2.4, 0.2) / |.|; then the two-gradient closed form.
  std::vector<double> s0{0.5, 1, 0}, s1{-0.8, 2.4, 0.2};
  for (auto* s : {&s0, &s1}) {
    const double nn = std::sqrt(dot(*s, *s));
    for (double& v : *s) v /= nn;
  }
  const double w = pair_weight_reference(s0, s1);
  REQUIRE(r.weights.size() == 2);
  CHECK(r.weights[0] == doctest::Approx(w));
  for (std::size_t c = 0; c < 3; ++c) CHECK(r.direction[c] == doctest::Approx(w * s0[c] + (1 - w) * s1[c]));
  // Both scaled device gradients decrease along -d: s_t . d >= |d|^2 > 0.
  CHECK(dot(s0, r.direction) >= r.norm * r.norm - 1e-12);
  CHECK(dot(s1, r.direction) >= r.norm * r.norm - 1e-12);
  CHECK(r.norm > 0.0);

  // Without normalisation: min-norm over the raw scalarised gradients.
  const auto raw = moo::preference_mgd(grads, prefs, {.normalize = false});
  const moo::matrix s_raw{{0.5, 1, 0}, {-0.8, 2.4, 0.2}};
  const auto expect = moo::min_norm(s_raw);
  CHECK(raw.weights == expect.weights);
  CHECK(raw.direction == expect.direction);

  // One preference row serves every device; preference (1, 0) keeps only the first objective.
  const auto first = moo::preference_mgd(grads, moo::matrix{{1, 0}}, {.normalize = false});
  const auto only_first = moo::min_norm(moo::matrix{{1, 0, 0}, {0, 0, 1}});
  CHECK(first.weights == only_first.weights);
  CHECK(first.direction == only_first.direction);

  // One device: the direction is its (normalised) scalarised gradient.
  const std::vector<moo::matrix> one{grads[0]};
  const auto single = moo::preference_mgd(one, moo::matrix{{0.5, 0.5}});
  CHECK(single.weights == std::vector<double>{1.0});
  CHECK(single.norm == doctest::Approx(1.0));
  for (std::size_t c = 0; c < 3; ++c) CHECK(single.direction[c] == doctest::Approx(s0[c]));

  // A device whose scalarised gradient is 0 stays 0 under normalisation, and then d = 0.
  const std::vector<moo::matrix> with_zero{grads[0], moo::matrix{{0, 0, 0}, {0, 0, 0}}};
  const auto z = moo::preference_mgd(with_zero, prefs);
  CHECK(z.norm == 0.0);
}

TEST_CASE("preference_mgd: four devices, the KKT condition on the normalised device gradients") {
  const std::uint64_t seed = 404;
  MESSAGE("seed ", seed);
  moo::rng rng(seed);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<moo::matrix> grads;
    moo::matrix prefs;
    for (int t = 0; t < 4; ++t) {
      grads.push_back(random_gradients(rng, 2, 8, 0.5));
      const double a = rng.uniform();
      prefs.push_back(std::vector<double>{a, 1.0 - a});
    }
    const auto r = moo::preference_mgd(grads, prefs);
    REQUIRE(r.converged);
    for (int t = 0; t < 4; ++t) {
      auto s = moo::scalarize(grads[t], prefs.row(t));
      const double nn = std::sqrt(dot(s, s));
      for (double& v : s) v /= nn;
      CHECK(dot(s, r.direction) >= r.norm * r.norm - 1e-8 - 1e-12);
    }
  }
}

TEST_CASE("preference_mgd and scalarize: errors") {
  using test_support::error_of;
  const moo::matrix g{{1, 0}, {0, 1}};
  const std::vector<moo::matrix> two{g, g};
  const double nan = std::numeric_limits<double>::quiet_NaN();
  CHECK(error_of<moo::value_error>([] { moo::preference_mgd(std::vector<moo::matrix>{}, moo::matrix{{1.0}}); }) ==
        "preference_mgd: no devices");
  CHECK(error_of<moo::dimension_error>([&] {
          moo::preference_mgd(std::vector<moo::matrix>{g, moo::matrix{{1, 0, 0}, {0, 1, 0}}}, moo::matrix{{1, 0}});
        }) == "preference_mgd: device 1 has 2 x 3 objective gradients, device 0 has 2 x 2");
  CHECK(error_of<moo::dimension_error>([&] { moo::preference_mgd(two, moo::matrix{{1, 0}, {1, 0}, {1, 0}}); }) ==
        "preference_mgd: 3 preference rows for 2 devices (give one row, or one per device)");
  CHECK(error_of<moo::dimension_error>([&] { moo::preference_mgd(two, moo::matrix{{1, 0, 0}}); }) ==
        "preference_mgd: preferences have 3 entries for 2 objectives");
  CHECK(error_of<moo::value_error>([&] { moo::preference_mgd(two, moo::matrix{{1, 0}, {-0.5, 1.5}}); }) ==
        "preference_mgd: device 1: scalarize: preference entry 0 is -0.5 (must be finite and non-negative)");
  CHECK(error_of<moo::value_error>([&] { moo::preference_mgd(two, moo::matrix{{0, 0}}); }) ==
        "preference_mgd: device 0: scalarize: the preference is all zero");
  CHECK(error_of<moo::value_error>([&] { moo::preference_mgd(std::vector<moo::matrix>{g, moo::matrix{{1, nan}, {0, 1}}}, moo::matrix{{1, 1}}); }) ==
        "preference_mgd: device 1: scalarize: non-finite value nan in gradient 0 at coordinate 1");
  CHECK(error_of<moo::value_error>([&] { moo::scalarize(g, std::vector<double>{nan, 1}); }) ==
        "scalarize: preference entry 0 is nan (must be finite and non-negative)");
  CHECK(error_of<moo::dimension_error>([&] { moo::scalarize(g, std::vector<double>{1}); }) ==
        "scalarize: the preference has 1 entries for 2 objectives");
  CHECK(error_of<moo::value_error>([] { moo::scalarize(moo::matrix{}, std::vector<double>{}); }) ==
        "scalarize: no objective gradients");
}
