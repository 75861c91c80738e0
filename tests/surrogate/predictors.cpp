// moo/surrogate: MAPE and Kendall's tau against hand-computed values, ridge regression against its
// closed form, alpha chosen by cross-validated MAPE, and clear errors on data that cannot be learnt.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include "moo/core/concepts.hpp"
#include "moo/core/rng.hpp"
#include "moo/surrogate/encoding.hpp"
#include "moo/surrogate/metrics.hpp"
#include "moo/surrogate/ridge.hpp"

namespace {

// A user's predictor: always the mean of the training targets.
struct mean_predictor {
  double mean = 0.0;
  void fit(const moo::matrix&, std::span<const double> y) {
    mean = 0.0;
    for (const double v : y) mean += v / static_cast<double>(y.size());
  }
  std::vector<double> predict(const moo::matrix& x) const { return std::vector<double>(x.rows(), mean); }
};
struct not_a_predictor {
  void fit(const moo::matrix&) {}
};

}  // namespace

static_assert(moo::predictor<moo::ridge>);
static_assert(moo::predictor<mean_predictor>);
static_assert(!moo::predictor<not_a_predictor>);
static_assert(!moo::predictor<int>);

TEST_CASE("mape and kendall_tau: hand-computed values") {
  CHECK(moo::mape(std::vector<double>{100, 200, 50}, std::vector<double>{110, 180, 50}) ==
        doctest::Approx(100.0 * (0.1 + 0.1 + 0.0) / 3.0).epsilon(1e-14));
  CHECK(moo::mape(std::vector<double>{-4}, std::vector<double>{-3}) == doctest::Approx(25.0));
  // One discordant pair of 6: (5 - 1) / 6.
  CHECK(moo::kendall_tau(std::vector<double>{1, 2, 3, 4}, std::vector<double>{1, 3, 2, 4}) == doctest::Approx(4.0 / 6.0));
  CHECK(moo::kendall_tau(std::vector<double>{1, 2, 3}, std::vector<double>{3, 2, 1}) == doctest::Approx(-1.0));
  // Ties (tau-b, scipy.stats.kendalltau's default): 4 concordant, one pair tied in each: 4 / sqrt(5 * 5).
  CHECK(moo::kendall_tau(std::vector<double>{1, 2, 2, 3}, std::vector<double>{1, 2, 3, 3}) == doctest::Approx(0.8));
  // Brute force over the definition with sign products, on random samples with ties.
  moo::rng r(12);
  for (int rep = 0; rep < 20; ++rep) {
    std::vector<double> a(30), b(30);
    for (auto& v : a) v = static_cast<double>(r.index(6));
    for (auto& v : b) v = static_cast<double>(r.index(6));
    double s = 0.0, na = 0.0, nb = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i)
      for (std::size_t j = 0; j < a.size(); ++j) {
        const double sa = (a[i] > a[j]) - (a[i] < a[j]), sb = (b[i] > b[j]) - (b[i] < b[j]);
        s += sa * sb;
        na += sa * sa;
        nb += sb * sb;
      }
    CHECK(moo::kendall_tau(a, b) == doctest::Approx(s / std::sqrt(na * nb)).epsilon(1e-12));
  }
}

TEST_CASE("mape and kendall_tau refuse what they cannot measure") {
  const std::vector<double> two{1, 2}, three{1, 2, 3};
  CHECK_THROWS_AS(moo::mape(two, three), moo::dimension_error);
  CHECK_THROWS_WITH_AS(moo::mape(std::vector<double>{1, 0}, two), doctest::Contains("value 1 is 0"), moo::value_error);
  CHECK_THROWS_AS(moo::mape(std::vector<double>{}, std::vector<double>{}), moo::value_error);
  CHECK_THROWS_WITH_AS(moo::mape(std::vector<double>{1, NAN}, two), doctest::Contains("value 1 is not finite"),
                       moo::value_error);
  CHECK_THROWS_WITH_AS(moo::kendall_tau(std::vector<double>{5, 5, 5}, three), doctest::Contains("no two distinct"),
                       moo::value_error);
}

TEST_CASE("ridge: the closed form on standardised features, intercept unpenalised") {
  // One feature: slope Sxy / (Sxx + alpha Sxx / n) = 5.5 / (5 (1 + alpha / 4)) for x = 1..4, y = 1,3,2,5.
  const moo::matrix x1{{1}, {2}, {3}, {4}};
  const std::vector<double> y1{1, 3, 2, 5};
  for (const double alpha : {0.0, 1.0, 10.0}) {
    moo::ridge m({.alphas = {alpha}});
    m.fit(x1, y1);
    const double slope = 4.4 / (4.0 + alpha);
    CHECK(m.coefficients()[0] == doctest::Approx(slope).epsilon(1e-10));
    CHECK(m.intercept() == doctest::Approx(2.75 - slope * 2.5).epsilon(1e-10));
    CHECK(std::isnan(m.cv_mape()));
  }
  // Two features, alpha 0.7: (Z'Z + alpha I) w = Z'y solved by Cramer's rule here.
  const moo::matrix x{{1, 0.5}, {2, -1}, {0, 3}, {4, 2}, {3, 3}, {-1, 0}};
  const std::vector<double> y{2, 1, 7, 4, 6, 3};
  const double alpha = 0.7;
  const std::size_t n = x.rows();
  double mean[2] = {0, 0}, sd[2] = {0, 0}, ym = 0;
  for (std::size_t i = 0; i < n; ++i) {
    mean[0] += x(i, 0) / n;
    mean[1] += x(i, 1) / n;
    ym += y[i] / n;
  }
  for (std::size_t i = 0; i < n; ++i)
    for (int j = 0; j < 2; ++j) sd[j] += (x(i, j) - mean[j]) * (x(i, j) - mean[j]) / n;
  sd[0] = std::sqrt(sd[0]);
  sd[1] = std::sqrt(sd[1]);
  double a00 = alpha, a01 = 0, a11 = alpha, b0 = 0, b1 = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double z0 = (x(i, 0) - mean[0]) / sd[0], z1 = (x(i, 1) - mean[1]) / sd[1];
    a00 += z0 * z0;
    a01 += z0 * z1;
    a11 += z1 * z1;
    b0 += z0 * (y[i] - ym);
    b1 += z1 * (y[i] - ym);
  }
  const double det = a00 * a11 - a01 * a01;
  const double w0 = (b0 * a11 - a01 * b1) / det, w1 = (a00 * b1 - a01 * b0) / det;
  moo::ridge m({.alphas = {alpha}});
  m.fit(x, y);
  CHECK(m.coefficients()[0] == doctest::Approx(w0 / sd[0]).epsilon(1e-10));
  CHECK(m.coefficients()[1] == doctest::Approx(w1 / sd[1]).epsilon(1e-10));
  CHECK(m.intercept() == doctest::Approx(ym - w0 / sd[0] * mean[0] - w1 / sd[1] * mean[1]).epsilon(1e-10));
  const auto p = m.predict(moo::matrix{{2, 2}});
  CHECK(p[0] == doctest::Approx(m.intercept() + 2 * m.coefficients()[0] + 2 * m.coefficients()[1]));
}

TEST_CASE("ridge: exact linear data is recovered; a constant feature gets coefficient 0") {
  moo::rng r(5);
  moo::matrix x(0, 4);
  std::vector<double> y;
  for (int i = 0; i < 40; ++i) {
    const double a = r.uniform(-1, 1), b = r.uniform(0, 5), c = r.uniform(-3, 3);
    x.push_back(std::vector<double>{a, b, 7.0, c});
    y.push_back(2.0 + a - 3.0 * b + 0.5 * c);
  }
  moo::ridge m({.alphas = {0.0}});
  m.fit(x, y);
  CHECK(m.coefficients()[0] == doctest::Approx(1.0).epsilon(1e-8));
  CHECK(m.coefficients()[1] == doctest::Approx(-3.0).epsilon(1e-8));
  CHECK(m.coefficients()[2] == 0.0);
  CHECK(m.coefficients()[3] == doctest::Approx(0.5).epsilon(1e-8));
  CHECK(m.intercept() == doctest::Approx(2.0).epsilon(1e-8));
}

TEST_CASE("ridge: cross-validated MAPE picks little penalty for signal and much for noise") {
  const std::vector<double> alphas{1e-6, 1e-2, 1.0, 1e2, 1e6};
  moo::rng r(9);
  moo::matrix x(0, 3);
  std::vector<double> signal, noise;
  for (int i = 0; i < 60; ++i) {
    const double a = r.uniform(0, 1), b = r.uniform(0, 1), c = r.uniform(0, 1);
    x.push_back(std::vector<double>{a, b, c});
    signal.push_back(10.0 + 4.0 * a - 2.0 * b + c + 0.01 * r.normal());
    noise.push_back(10.0 + r.uniform(-1, 1));
  }
  moo::ridge s({.alphas = alphas, .folds = 5, .seed = 3});
  s.fit(x, signal);
  CHECK(s.alpha() <= 1e-2);
  CHECK(s.cv_mape() < 0.5);
  moo::ridge z({.alphas = alphas, .folds = 5, .seed = 3});
  z.fit(x, noise);
  CHECK(z.alpha() >= 1e2);
  // The chosen alpha's MAPE is the lowest of the candidates' (each refitted with that alpha alone).
  {
    moo::rng fr(3);
    const auto fold = moo::detail::draw_folds(x.rows(), 5, fr);
    for (const double a : alphas) {
      const double e = moo::detail::cross_validated_mape(x, noise, fold, 5, [&] { return moo::ridge({.alphas = {a}}); });
      CHECK(z.cv_mape() <= e);
    }
  }
}

TEST_CASE("ridge: bad data gives a clear error and leaves the fitted model") {
  const moo::matrix x{{1, 2}, {2, 1}, {3, 5}, {4, 4}};
  const std::vector<double> y{1, 2, 3, 5};
  moo::ridge m({.alphas = {0.1}});
  CHECK_THROWS_WITH_AS(m.predict(x), doctest::Contains("before fit"), moo::value_error);
  m.fit(x, y);
  const auto before = m.predict(x);
  CHECK_THROWS_WITH_AS(m.fit(moo::matrix{{1, NAN}, {2, 1}}, std::vector<double>{1, 2}),
                       doctest::Contains("feature 1 of row 0 is not finite"), moo::value_error);
  CHECK_THROWS_WITH_AS(m.fit(x, std::vector<double>{1, 2, INFINITY, 4}), doctest::Contains("target 2 is not finite"),
                       moo::value_error);
  CHECK_THROWS_WITH_AS(m.fit(x, std::vector<double>{3, 3, 3, 3}), doctest::Contains("all 4 targets are 3"),
                       moo::value_error);
  CHECK_THROWS_AS(m.fit(x, std::vector<double>{1, 2}), moo::dimension_error);
  CHECK_THROWS_WITH_AS(moo::ridge({.alphas = {0.1, 1.0}, .folds = 5}).fit(x, y),
                       doctest::Contains("4 points cannot make 5 cross-validation folds"), moo::value_error);
  CHECK_THROWS_WITH_AS(moo::ridge({.alphas = {0.1, 1.0}, .folds = 2}).fit(x, std::vector<double>{1, 0, 3, 5}),
                       doctest::Contains("target 1 is 0"), moo::value_error);
  CHECK_THROWS_WITH_AS(moo::ridge({.alphas = {-1.0}}).fit(x, y), doctest::Contains("alpha -1"), moo::value_error);
  CHECK_THROWS_AS(m.predict(moo::matrix{{1, 2, 3}}), moo::dimension_error);
  CHECK(m.predict(x) == before);
}

TEST_CASE("encode: ordinal and one-hot features of integer genomes") {
  const moo::integer_space s{{0, 3}, {2, 4}};
  const std::vector<moo::integer_genome> g{{0, 3}, {2, 4}, {1, 3}};
  CHECK(moo::encoded_size(s, moo::encoding::ordinal) == 2);
  CHECK(moo::encoded_size(s, moo::encoding::one_hot) == 5);
  CHECK(moo::encode(s, g, moo::encoding::ordinal) == moo::matrix{{0, 3}, {2, 4}, {1, 3}});
  CHECK(moo::encode(s, g, moo::encoding::one_hot) ==
        moo::matrix{{1, 0, 0, 1, 0}, {0, 0, 1, 0, 1}, {0, 1, 0, 1, 0}});
  CHECK_THROWS_WITH_AS(moo::encode(s, std::vector<moo::integer_genome>{{3, 3}}, moo::encoding::one_hot),
                       doctest::Contains("gene 0 = 3 is outside [0, 2]"), moo::value_error);
  CHECK_THROWS_AS(moo::encode(s, std::vector<moo::integer_genome>{{1}}, moo::encoding::ordinal), moo::dimension_error);
  // A ridge fit on one-hot features learns per-choice effects exactly (y = 1 + [g0 == 2] * 5 + [g1 == 4] * 2).
  std::vector<moo::integer_genome> all;
  std::vector<double> y;
  for (long a = 0; a <= 2; ++a)
    for (long b = 3; b <= 4; ++b) {
      all.push_back({a, b});
      y.push_back(1.0 + (a == 2 ? 5.0 : 0.0) + (b == 4 ? 2.0 : 0.0));
    }
  moo::ridge m({.alphas = {0.0}});
  const auto x = moo::encode(s, all, moo::encoding::one_hot);
  m.fit(x, y);
  const auto p = m.predict(x);
  for (std::size_t i = 0; i < y.size(); ++i) CHECK(p[i] == doctest::Approx(y[i]).epsilon(1e-8));
}
