#include <doctest/doctest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "moo/core/concepts.hpp"
#include "moo/problems/dtlz.hpp"
#include "moo/problems/zdt.hpp"

static_assert(moo::problem<moo::zdt1>);
static_assert(moo::problem<moo::zdt6>);
static_assert(moo::problem<moo::dtlz2>);

namespace {
template <class P>
std::vector<double> eval(const P& p, const std::vector<double>& x) {
  std::vector<double> f(p.num_objectives());
  p.evaluate(x, f);
  return f;
}
}  // namespace

TEST_CASE("ZDT: optimal genomes (distance variables at their optimum) land on the true front") {
  moo::rng r(21);
  for (int t = 0; t < 100; ++t) {
    const double x1 = r.uniform();
    std::vector<double> x(30, 0.0);
    x[0] = x1;
    CHECK(eval(moo::zdt1{}, x)[1] == doctest::Approx(1 - std::sqrt(x1)));
    CHECK(eval(moo::zdt2{}, x)[1] == doctest::Approx(1 - x1 * x1));
    CHECK(eval(moo::zdt3{}, x)[1] ==
          doctest::Approx(1 - std::sqrt(x1) - x1 * std::sin(10 * std::numbers::pi * x1)));
    std::vector<double> y(10, 0.0);
    y[0] = x1;
    CHECK(eval(moo::zdt4{}, y)[1] == doctest::Approx(1 - std::sqrt(x1)));
    const auto f6 = eval(moo::zdt6{}, y);
    CHECK(f6[1] == doctest::Approx(1 - f6[0] * f6[0]));
  }
  // A worse genome: ZDT1 with all distance variables at 1 has g = 10.
  std::vector<double> x(30, 1.0);
  x[0] = 0.25;
  CHECK(eval(moo::zdt1{}, x)[1] == doctest::Approx(10 * (1 - std::sqrt(0.025))));
  // ZDT4 at x_i = 0.5 has g = 1 + 10*9 + 9*(0.25 - 10 cos(2 pi)) = 1 + 90 + 9*(0.25-10).
  std::vector<double> y(10, 0.5);
  y[0] = 0.0;
  CHECK(eval(moo::zdt4{}, y)[1] == doctest::Approx(1 + 90 + 9 * (0.25 - 10)));
}

TEST_CASE("ZDT: true fronts are sampled on the analytic curves and are mutually non-dominated") {
  const auto f = moo::zdt3{}.true_front(500);
  CHECK(f.rows() >= 500);
  for (std::size_t i = 0; i + 1 < f.rows(); ++i) CHECK(f(i, 0) < f(i + 1, 0));
  // Each piece ends where the next begins at (nearly) the same f2; within 1e-6 nothing dominates.
  for (std::size_t i = 0; i + 1 < f.rows(); ++i) CHECK(f(i, 1) > f(i + 1, 1) - 1e-6);
  const auto f6 = moo::zdt6{}.true_front(100);
  CHECK(f6(0, 0) == doctest::Approx(0.2807753191));
  CHECK(f6(99, 1) == doctest::Approx(0.0));
}

TEST_CASE("DTLZ: optimal genomes land on the linear / spherical fronts") {
  moo::rng r(22);
  for (std::size_t m : {2u, 3u, 5u}) {
    moo::dtlz1 p1(m);
    moo::dtlz2 p2(m);
    for (int t = 0; t < 50; ++t) {
      auto x1 = p1.space().sample(r);
      for (std::size_t i = m - 1; i < x1.size(); ++i) x1[i] = 0.5;
      double s = 0;
      for (double v : eval(p1, x1)) s += v;
      CHECK(s == doctest::Approx(0.5));
      auto x2 = p2.space().sample(r);
      for (std::size_t i = m - 1; i < x2.size(); ++i) x2[i] = 0.5;
      double q = 0;
      for (double v : eval(p2, x2)) q += v * v;
      CHECK(q == doctest::Approx(1.0));
    }
    const auto t1 = p1.true_front(200);
    const auto t2 = p2.true_front(200);
    CHECK(t1.rows() >= 200);
    for (std::size_t i = 0; i < t1.rows(); ++i) {
      double s = 0, q = 0;
      for (double v : t1.row(i)) s += v;
      for (double v : t2.row(i)) q += v * v;
      CHECK(s == doctest::Approx(0.5));
      CHECK(q == doctest::Approx(1.0));
    }
  }
}

TEST_CASE("problems reject genomes of the wrong size") {
  std::vector<double> f(2);
  std::vector<double> x(29, 0.0);
  CHECK_THROWS_WITH_AS(moo::zdt1{}.evaluate(x, f), doctest::Contains("29 variables"), moo::dimension_error);
  std::vector<double> f3(3);
  CHECK_THROWS_AS(moo::dtlz2{3}.evaluate(std::vector<double>(3, 0.5), f3), moo::dimension_error);
  CHECK_THROWS_AS(moo::dtlz2(1), moo::value_error);
}
