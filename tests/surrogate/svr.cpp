// moo/surrogate: epsilon-SVR against hand-solved duals, the KKT conditions and a brute-force solution of the
// dual QP; a smooth non-linear function learnt far better than by ridge; the stacked predictor as the
// composition it claims to be; clear errors on data that cannot be learnt, with the fitted model kept.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include "moo/core/concepts.hpp"
#include "moo/core/rng.hpp"
#include "moo/surrogate/metrics.hpp"
#include "moo/surrogate/ridge.hpp"
#include "moo/surrogate/stacked.hpp"
#include "moo/surrogate/svr.hpp"

namespace svr_tests {

// A user's predictor without fit_once: the mean of the training targets.
struct mean_model {
  double mean = 0.0;
  void fit(const moo::matrix&, std::span<const double> y) {
    mean = 0.0;
    for (const double v : y) mean += v / static_cast<double>(y.size());
  }
  std::vector<double> predict(const moo::matrix& x) const { return std::vector<double>(x.rows(), mean); }
};

// The standardised problem the SVR solves: features and targets scaled to mean 0 and (population) standard
// deviation 1, and the RBF kernel matrix of the features.
struct standardised {
  std::vector<std::vector<double>> z;
  std::vector<double> t;
  std::vector<std::vector<double>> k;
};

inline standardised standardise(const moo::matrix& x, const std::vector<double>& y, double gamma) {
  const std::size_t n = x.rows(), d = x.cols();
  standardised s{std::vector<std::vector<double>>(n, std::vector<double>(d)), std::vector<double>(n),
                 std::vector<std::vector<double>>(n, std::vector<double>(n))};
  const auto scale = [n](auto value, double& mean, double& sd) {
    mean = sd = 0.0;
    for (std::size_t i = 0; i < n; ++i) mean += value(i) / static_cast<double>(n);
    for (std::size_t i = 0; i < n; ++i) sd += (value(i) - mean) * (value(i) - mean) / static_cast<double>(n);
    sd = std::sqrt(sd);
  };
  for (std::size_t j = 0; j < d; ++j) {
    double m, sd;
    scale([&](std::size_t i) { return x(i, j); }, m, sd);
    for (std::size_t i = 0; i < n; ++i) s.z[i][j] = (x(i, j) - m) / sd;
  }
  double m, sd;
  scale([&](std::size_t i) { return y[i]; }, m, sd);
  for (std::size_t i = 0; i < n; ++i) s.t[i] = (y[i] - m) / sd;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t j = 0; j < n; ++j) {
      double d2 = 0.0;
      for (std::size_t f = 0; f < d; ++f) d2 += (s.z[i][f] - s.z[j][f]) * (s.z[i][f] - s.z[j][f]);
      s.k[i][j] = std::exp(-gamma * d2);
    }
  return s;
}

// The dual objective 1/2 beta' K beta + epsilon |beta|_1 - t' beta (to be minimised).
inline double dual_objective(const standardised& s, std::span<const double> beta, double eps) {
  double v = 0.0;
  for (std::size_t i = 0; i < beta.size(); ++i) {
    for (std::size_t j = 0; j < beta.size(); ++j) v += 0.5 * beta[i] * s.k[i][j] * beta[j];
    v += eps * std::abs(beta[i]) - s.t[i] * beta[i];
  }
  return v;
}

// Solves a x = b by Gaussian elimination with partial pivoting; false if singular.
inline bool gauss(std::vector<std::vector<double>> a, std::vector<double> b, std::vector<double>& x) {
  const std::size_t n = b.size();
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t p = c;
    for (std::size_t r = c + 1; r < n; ++r)
      if (std::abs(a[r][c]) > std::abs(a[p][c])) p = r;
    if (std::abs(a[p][c]) < 1e-13) return false;
    std::swap(a[p], a[c]);
    std::swap(b[p], b[c]);
    for (std::size_t r = c + 1; r < n; ++r) {
      const double m = a[r][c] / a[c][c];
      for (std::size_t k = c; k < n; ++k) a[r][k] -= m * a[c][k];
      b[r] -= m * b[c];
    }
  }
  x.assign(n, 0.0);
  for (std::size_t r = n; r-- > 0;) {
    double v = b[r];
    for (std::size_t k = r + 1; k < n; ++k) v -= a[r][k] * x[k];
    x[r] = v / a[r][r];
  }
  return true;
}

// The dual's minimum by enumerating its faces: each beta_i is -C, free negative, 0, free positive or +C.
// On a face the free betas solve the stationarity conditions K_FF beta_F + mu = t_F - eps sign_F -
// K_F,fixed beta_fixed with sum beta = 0 (mu the multiplier of that constraint); the convex problem's
// minimum is the stationary point of the face holding it, so the lowest feasible candidate is the optimum.
inline std::vector<double> brute_force_dual(const standardised& s, double c, double eps) {
  const std::size_t n = s.t.size();
  std::size_t faces = 1;
  for (std::size_t i = 0; i < n; ++i) faces *= 5;
  double best = std::numeric_limits<double>::infinity();
  std::vector<double> best_beta;
  for (std::size_t code = 0; code < faces; ++code) {
    std::vector<int> state(n);
    for (std::size_t i = 0, v = code; i < n; ++i, v /= 5) state[i] = static_cast<int>(v % 5) - 2;  // -2 .. 2
    std::vector<double> beta(n, 0.0);
    std::vector<std::size_t> free;
    for (std::size_t i = 0; i < n; ++i) {
      if (state[i] == -2) beta[i] = -c;
      if (state[i] == 2) beta[i] = c;
      if (state[i] == -1 || state[i] == 1) free.push_back(i);
    }
    if (!free.empty()) {
      const std::size_t m = free.size();
      std::vector<std::vector<double>> a(m + 1, std::vector<double>(m + 1, 0.0));
      std::vector<double> b(m + 1, 0.0), sol;
      for (std::size_t r = 0; r < m; ++r) {
        const std::size_t i = free[r];
        for (std::size_t q = 0; q < m; ++q) a[r][q] = s.k[i][free[q]];
        a[r][m] = 1.0;
        a[m][r] = 1.0;
        b[r] = s.t[i] - eps * state[i];
        for (std::size_t j = 0; j < n; ++j) b[r] -= s.k[i][j] * beta[j];  // the fixed betas (free are 0 yet)
      }
      for (std::size_t j = 0; j < n; ++j) b[m] -= beta[j];
      if (!gauss(a, b, sol)) continue;
      bool feasible = true;
      for (std::size_t r = 0; r < m; ++r) {
        const double v = sol[r] * state[free[r]];  // must be in (0, C) for its sign
        if (v < -1e-12 || v > c + 1e-12) feasible = false;
        beta[free[r]] = sol[r];
      }
      if (!feasible) continue;
    }
    double sum = 0.0;
    for (const double v : beta) sum += v;
    if (std::abs(sum) > 1e-9) continue;
    const double f = dual_objective(s, beta, eps);
    if (f < best) {
      best = f;
      best_beta = beta;
    }
  }
  return best_beta;
}

// y = 3 + sin(2 x0) + cos(x1) on [0, 3]^2 (smooth, far from linear, never near 0).
inline void smooth_sample(moo::rng& r, std::size_t n, moo::matrix& x, std::vector<double>& y) {
  x = moo::matrix(0, 2);
  y.clear();
  for (std::size_t i = 0; i < n; ++i) {
    const double a = r.uniform(0, 3), b = r.uniform(0, 3);
    x.push_back(std::vector<double>{a, b});
    y.push_back(3.0 + std::sin(2.0 * a) + std::cos(b));
  }
}

// y = 10 + 4 x0 - 3 x1 + 2 x2 + sin(4 x3) on [0, 1]^4: a strong linear part and a non-linear one.
inline void mixed_sample(moo::rng& r, std::size_t n, moo::matrix& x, std::vector<double>& y) {
  x = moo::matrix(0, 4);
  y.clear();
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<double> row(4);
    for (auto& v : row) v = r.uniform(0, 1);
    x.push_back(row);
    y.push_back(10.0 + 4.0 * row[0] - 3.0 * row[1] + 2.0 * row[2] + std::sin(4.0 * row[3]));
  }
}

}  // namespace svr_tests

static_assert(moo::predictor<moo::svr>);
static_assert(moo::predictor<moo::stacked>);
static_assert(moo::predictor<moo::stacked_predictor<moo::ridge, svr_tests::mean_model>>);

TEST_CASE("svr: two points, the dual solved by hand") {
  // z = -1, 1 and t = -1, 1 after standardisation; k = exp(-4 gamma). By symmetry beta = (-b, b) and the
  // bias is 0; the dual is (1 - k) b^2 - 2 (1 - eps) b, minimised at b = (1 - eps) / (1 - k) unless C is
  // smaller. The prediction at x = 1 is 2 + b (1 - k): 3 - eps on the tube's edge.
  const moo::matrix x{{0}, {1}};
  const std::vector<double> y{1, 3};
  const double gamma = 0.5, k = std::exp(-4.0 * gamma);
  {
    moo::svr m({.cs = {10}, .gammas = {gamma}, .epsilons = {0.2}, .tolerance = 1e-10});
    m.fit(x, y);
    const double b = 0.8 / (1.0 - k);
    CHECK(m.converged());
    CHECK(m.dual_coefficients()[0] == doctest::Approx(-b).epsilon(1e-9));
    CHECK(m.dual_coefficients()[1] == doctest::Approx(b).epsilon(1e-9));
    CHECK(m.bias() == doctest::Approx(0.0).scale(1.0).epsilon(1e-9));
    CHECK(m.target_mean() == 2.0);
    CHECK(m.target_scale() == 1.0);
    const auto p = m.predict(moo::matrix{{0}, {1}, {100}});
    CHECK(p[0] == doctest::Approx(1.2).epsilon(1e-9));
    CHECK(p[1] == doctest::Approx(2.8).epsilon(1e-9));
    CHECK(p[2] == doctest::Approx(2.0).epsilon(1e-9));  // far from both: the kernel vanishes, the mean is left
    CHECK(std::isnan(m.cv_mape()));
  }
  {
    // C = 0.5 < (1 - eps) / (1 - k): both at the bound, the bias the middle of its interval (0 here).
    moo::svr m({.cs = {0.5}, .gammas = {gamma}, .epsilons = {0.2}, .tolerance = 1e-10});
    m.fit(x, y);
    CHECK(m.dual_coefficients()[1] == 0.5);
    CHECK(m.predict(moo::matrix{{1}})[0] == doctest::Approx(2.0 + 0.5 * (1.0 - k)).epsilon(1e-12));
  }
  {
    // eps >= 1: every point inside the tube, beta = 0, no support vector.
    moo::svr m({.cs = {10}, .gammas = {gamma}, .epsilons = {1.5}});
    m.fit(x, y);
    CHECK(m.support_vectors() == 0);
    CHECK(m.predict(moo::matrix{{0.3}})[0] == doctest::Approx(2.0));
  }
}

TEST_CASE("svr: a tube wide enough for every point predicts the middle of the targets' range") {
  // beta = 0 and the bias is the middle of [max t - eps, min t + eps]: (max y + min y) / 2 in y's units.
  moo::rng r(21);
  moo::matrix x(0, 3);
  std::vector<double> y;
  for (int i = 0; i < 20; ++i) {
    x.push_back(std::vector<double>{r.uniform(0, 1), r.uniform(0, 1), r.uniform(0, 1)});
    y.push_back(5.0 + x(i, 0) * x(i, 1) + r.uniform(-0.1, 0.1));
  }
  moo::svr m({.cs = {1}, .gammas = {0}, .epsilons = {10}});
  m.fit(x, y);
  CHECK(m.support_vectors() == 0);
  CHECK(m.gamma() == doctest::Approx(1.0 / 3.0));  // "scale": 1 / (number of standardised features)
  const double mid = (*std::max_element(y.begin(), y.end()) + *std::min_element(y.begin(), y.end())) / 2.0;
  for (const double p : m.predict(x)) CHECK(p == doctest::Approx(mid).epsilon(1e-12));
}

TEST_CASE("svr: the fitted dual satisfies the KKT conditions") {
  moo::rng r(4);
  moo::matrix x(0, 2);
  std::vector<double> y;
  for (int i = 0; i < 40; ++i) {
    const double a = r.uniform(-2, 2), b = r.uniform(-2, 2);
    x.push_back(std::vector<double>{a, b});
    y.push_back(std::sin(a) * b + 0.3 * r.normal());
  }
  for (const double c : {0.3, 5.0})
    for (const double eps : {0.0, 0.1}) {
      CAPTURE(c);
      CAPTURE(eps);
      const double tol = 1e-8;
      moo::svr m({.cs = {c}, .gammas = {0.7}, .epsilons = {eps}, .tolerance = tol});
      m.fit(x, y);
      REQUIRE(m.converged());
      const auto beta = m.dual_coefficients();
      const auto p = m.predict(x);
      double sum = 0.0;
      std::size_t free = 0, bounded = 0;
      for (std::size_t i = 0; i < y.size(); ++i) {
        sum += beta[i];
        CHECK(std::abs(beta[i]) <= c);
        // The residual in standardised units, against the tube [-eps, eps].
        const double res = (y[i] - p[i]) / m.target_scale();
        if (beta[i] == 0.0) {
          CHECK(std::abs(res) <= eps + tol);
        } else if (std::abs(beta[i]) < c) {
          ++free;
          CHECK(res == doctest::Approx(beta[i] > 0 ? eps : -eps).scale(1.0).epsilon(tol));  // on the edge
        } else {
          ++bounded;
          CHECK((beta[i] > 0 ? res : -res) >= eps - tol);  // on or outside the edge, on its side
        }
      }
      CHECK(sum == doctest::Approx(0.0).scale(1.0).epsilon(1e-12));
      if (c < 1.0) CHECK(bounded > 0);  // both kinds of support vector occur in these cases
      CHECK(free > 0);
    }
}

TEST_CASE("svr: SMO reaches the dual's minimum found by enumerating faces") {
  moo::rng r(8);
  for (int rep = 0; rep < 6; ++rep) {
    const std::size_t n = rep < 3 ? 4 : 5;
    moo::matrix x(0, 2);
    std::vector<double> y;
    for (std::size_t i = 0; i < n; ++i) {
      x.push_back(std::vector<double>{r.uniform(0, 1), r.uniform(0, 1)});
      y.push_back(r.uniform(1, 2));
    }
    const double c = rep % 2 == 0 ? 0.4 : 3.0, eps = rep % 3 == 0 ? 0.0 : 0.15, gamma = 0.3 + 0.2 * rep;
    CAPTURE(rep);
    moo::svr m({.cs = {c}, .gammas = {gamma}, .epsilons = {eps}, .tolerance = 1e-10});
    m.fit(x, y);
    REQUIRE(m.converged());
    const auto s = svr_tests::standardise(x, y, gamma);
    const auto exact = svr_tests::brute_force_dual(s, c, eps);
    REQUIRE(exact.size() == n);
    CHECK(svr_tests::dual_objective(s, m.dual_coefficients(), eps) ==
          doctest::Approx(svr_tests::dual_objective(s, exact, eps)).epsilon(1e-9));
    for (std::size_t i = 0; i < n; ++i) CHECK(m.dual_coefficients()[i] == doctest::Approx(exact[i]).scale(1.0).epsilon(1e-6));
  }
}

TEST_CASE("svr: a smooth non-linear function is learnt far better than by ridge") {
  moo::rng r(31);
  moo::matrix x, xv;
  std::vector<double> y, yv;
  svr_tests::smooth_sample(r, 150, x, y);
  svr_tests::smooth_sample(r, 300, xv, yv);
  moo::svr s;
  s.fit(x, y);
  moo::ridge l;
  l.fit(x, y);
  const double e_svr = moo::mape(yv, s.predict(xv)), e_ridge = moo::mape(yv, l.predict(xv));
  std::printf("svr on 3 + sin(2 x0) + cos(x1), seed 31: held-out MAPE %.3f%% (C %g, gamma %g, epsilon %g, %zu "
              "support vectors); ridge %.3f%%\n",
              e_svr, s.c(), s.gamma(), s.epsilon(), s.support_vectors(), e_ridge);
  CHECK(e_svr < 1.5);
  CHECK(e_svr * 5.0 < e_ridge);
  CHECK(s.cv_mape() < 3.0);
  // The chosen candidate's cross-validated MAPE is the lowest of the grid's, each refitted alone.
  moo::rng fr(1);
  const auto fold = moo::detail::draw_folds(x.rows(), 5, fr);
  for (const double c : moo::svr_options{}.cs)
    for (const double e : moo::svr_options{}.epsilons) {
      const double cv = moo::detail::cross_validated_mape(x, y, fold, 5, [&] {
        return moo::svr({.cs = {c}, .gammas = {0}, .epsilons = {e}});
      });
      CHECK(s.cv_mape() <= cv);
    }
  // The same seed gives the same model.
  moo::svr again;
  again.fit(x, y);
  CHECK(again.predict(xv) == s.predict(xv));
}

TEST_CASE("svr: bad data and bad options give a clear error and leave the fitted model") {
  const moo::matrix x{{1, 2}, {2, 1}, {3, 5}, {4, 4}};
  const std::vector<double> y{1, 2, 3, 5};
  moo::svr m({.cs = {1}, .gammas = {0.5}, .epsilons = {0.1}});
  CHECK_THROWS_WITH_AS(m.predict(x), doctest::Contains("svr: predict before fit"), moo::value_error);
  m.fit(x, y);
  const auto before = m.predict(x);
  CHECK_THROWS_WITH_AS(m.fit(moo::matrix{{1, NAN}, {2, 1}}, std::vector<double>{1, 2}),
                       doctest::Contains("svr: feature 1 of row 0 is not finite"), moo::value_error);
  CHECK_THROWS_WITH_AS(m.fit(x, std::vector<double>{1, 2, NAN, 4}), doctest::Contains("target 2 is not finite"),
                       moo::value_error);
  CHECK_THROWS_WITH_AS(m.fit(x, std::vector<double>{3, 3, 3, 3}), doctest::Contains("all 4 targets are 3"),
                       moo::value_error);
  CHECK_THROWS_AS(m.fit(x, std::vector<double>{1, 2}), moo::dimension_error);
  CHECK_THROWS_AS(m.fit(moo::matrix(0, 2), std::vector<double>{}), moo::value_error);
  CHECK_THROWS_WITH_AS(moo::svr().fit(x, y), doctest::Contains("4 points cannot make 5 cross-validation folds"),
                       moo::value_error);
  CHECK_THROWS_WITH_AS(moo::svr({.folds = 2}).fit(x, std::vector<double>{1, 0, 3, 5}),
                       doctest::Contains("target 1 is 0"), moo::value_error);
  CHECK_THROWS_WITH_AS(moo::svr({.cs = {0.0}}).fit(x, y), doctest::Contains("C 0 must be"), moo::value_error);
  CHECK_THROWS_WITH_AS(moo::svr({.gammas = {-1}}).fit(x, y), doctest::Contains("gamma -1"), moo::value_error);
  CHECK_THROWS_WITH_AS(moo::svr({.epsilons = {NAN}}).fit(x, y), doctest::Contains("epsilon nan"), moo::value_error);
  CHECK_THROWS_WITH_AS(moo::svr({.epsilons = {}}).fit(x, y), doctest::Contains("no candidate"), moo::value_error);
  CHECK_THROWS_WITH_AS(moo::svr({.cs = {1}, .gammas = {1}, .epsilons = {0.1}, .tolerance = 0}).fit(x, y),
                       doctest::Contains("tolerance 0"), moo::value_error);
  CHECK_THROWS_WITH_AS(moo::svr({.cs = {1}, .gammas = {1}, .epsilons = {0.1}, .max_iterations = 0}).fit(x, y),
                       doctest::Contains("max_iterations"), moo::value_error);
  CHECK_THROWS_WITH_AS(m.predict(moo::matrix{{1, 2, 3}}), doctest::Contains("predict with 3 features, fitted with 2"),
                       moo::dimension_error);
  CHECK(m.predict(x) == before);
  // An iteration cap that stops the solver early still gives a usable model, and says it did not converge.
  moo::svr capped({.cs = {100}, .gammas = {0.5}, .epsilons = {0.0}, .tolerance = 1e-12, .max_iterations = 2});
  capped.fit(x, y);
  CHECK_FALSE(capped.converged());
  CHECK(capped.iterations() == 2);
  CHECK(capped.predict(x).size() == 4);
}

TEST_CASE("stacked: a meta ridge over the base models' out-of-fold predictions") {
  moo::rng r(17);
  moo::matrix x, xv;
  std::vector<double> y, yv;
  svr_tests::mixed_sample(r, 200, x, y);
  svr_tests::mixed_sample(r, 300, xv, yv);
  moo::stacked m({.folds = 4, .seed = 6});
  m.fit(x, y);

  // predict is the meta ridge of the base models' predictions, the base models fitted on all points.
  moo::ridge l;
  l.fit(x, y);
  moo::svr s;
  s.fit(x, y);
  CHECK(m.first().predict(xv) == l.predict(xv));
  CHECK(m.second().predict(xv) == s.predict(xv));
  const auto base = m.base_predictions(xv);
  for (std::size_t i = 0; i < xv.rows(); ++i) {
    CHECK(base(i, 0) == l.predict(xv)[i]);
    CHECK(base(i, 1) == s.predict(xv)[i]);
  }
  const auto p = m.predict(xv);
  CHECK(p == m.meta().predict(base));

  // The out-of-fold columns: each fold predicted by models refitted without it, with the chosen
  // hyper-parameters; the meta ridge is the ridge (default options) of those columns.
  moo::rng fr(6);
  const auto fold = moo::detail::draw_folds(x.rows(), 4, fr);
  moo::matrix oof(x.rows(), 2), xt, xf;
  std::vector<double> yt, yf;
  for (std::size_t f = 0; f < 4; ++f) {
    moo::detail::fold_rows(x, y, fold, f, false, xt, yt);
    moo::detail::fold_rows(x, y, fold, f, true, xf, yf);
    moo::ridge lf({.alphas = {l.alpha()}});
    lf.fit(xt, yt);
    moo::svr sf({.cs = {s.c()}, .gammas = {s.gamma()}, .epsilons = {s.epsilon()}});
    sf.fit(xt, yt);
    const auto pl = lf.predict(xf), ps = sf.predict(xf);
    for (std::size_t i = 0, v = 0; i < x.rows(); ++i)
      if (fold[i] == f) {
        oof(i, 0) = pl[v];
        oof(i, 1) = ps[v];
        ++v;
      }
  }
  for (std::size_t i = 0; i < x.rows(); ++i) {
    CHECK(m.out_of_fold()(i, 0) == doctest::Approx(oof(i, 0)).epsilon(1e-12));
    CHECK(m.out_of_fold()(i, 1) == doctest::Approx(oof(i, 1)).epsilon(1e-12));
  }
  moo::ridge meta;
  meta.fit(oof, y);
  CHECK(m.meta().alpha() == meta.alpha());
  CHECK(m.meta().coefficients()[0] == doctest::Approx(meta.coefficients()[0]).epsilon(1e-9));
  CHECK(m.meta().coefficients()[1] == doctest::Approx(meta.coefficients()[1]).epsilon(1e-9));
  CHECK(m.meta().intercept() == doctest::Approx(meta.intercept()).epsilon(1e-9));

  // On a linear + non-linear function the stack is about as good as the better base model, or better.
  const double e_stacked = moo::mape(yv, p), e_ridge = moo::mape(yv, l.predict(xv)), e_svr = moo::mape(yv, s.predict(xv));
  std::printf("stacked on 10 + 4 x0 - 3 x1 + 2 x2 + sin(4 x3), seed 17: held-out MAPE %.3f%% (ridge %.3f%%, svr "
              "%.3f%%; meta weights %.3f, %.3f)\n",
              e_stacked, e_ridge, e_svr, m.meta().coefficients()[0], m.meta().coefficients()[1]);
  CHECK(e_stacked <= 1.1 * std::min(e_ridge, e_svr));
}

TEST_CASE("stacked: any predictor as a base model; clear errors; a failed fit keeps the model") {
  const moo::matrix x{{1, 2}, {2, 1}, {3, 5}, {4, 4}, {5, 0}, {6, 1}};
  const std::vector<double> y{1, 2, 3, 5, 4, 6};
  // A base model without fit_once is fitted afresh on each fold: mean_model's out-of-fold predictions
  // are the means of the other folds' targets.
  moo::stacked_predictor<moo::ridge, svr_tests::mean_model> g(moo::ridge({.alphas = {0.1}}), {}, {.folds = 3, .seed = 2});
  CHECK_THROWS_WITH_AS(g.predict(x), doctest::Contains("stacked: predict before fit"), moo::value_error);
  g.fit(x, y);
  moo::rng fr(2);
  const auto fold = moo::detail::draw_folds(x.rows(), 3, fr);
  for (std::size_t i = 0; i < x.rows(); ++i) {
    double sum = 0.0, count = 0.0;
    for (std::size_t j = 0; j < x.rows(); ++j)
      if (fold[j] != fold[i]) {
        sum += y[j];
        count += 1.0;
      }
    CHECK(g.out_of_fold()(i, 1) == doctest::Approx(sum / count).epsilon(1e-12));
  }
  CHECK(g.second().mean == doctest::Approx(3.5));
  const auto before = g.predict(x);
  CHECK_THROWS_WITH_AS(g.fit(x, std::vector<double>{1, 2, NAN, 4, 5, 6}), doctest::Contains("stacked: target 2 is not finite"),
                       moo::value_error);
  CHECK_THROWS_AS(g.fit(x, std::vector<double>{1, 2}), moo::dimension_error);
  CHECK_THROWS_WITH_AS(moo::stacked().fit(moo::matrix{{1}, {2}, {3}}, std::vector<double>{1, 2, 3}),
                       doctest::Contains("stacked: 3 points cannot make 5 folds"), moo::value_error);
  // A base model's error names the stage.
  CHECK_THROWS_WITH_AS(moo::stacked({.folds = 2}).fit(x, std::vector<double>{1, 0, 3, 5, 4, 6}),
                       doctest::Contains("stacked: first base model on all points: ridge: target 1 is 0"), moo::value_error);
  CHECK_THROWS_WITH_AS(g.predict(moo::matrix{{1, 2, 3}}), doctest::Contains("stacked: predict with 3 features, fitted with 2"),
                       moo::dimension_error);
  CHECK(g.predict(x) == before);
}
