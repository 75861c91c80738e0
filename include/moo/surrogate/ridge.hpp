// Ridge regression, the closed-form predictor of LINAS (Cummings et al. 2022, "A Hardware-Aware
// Framework for Accelerating Neural Architecture Search Across Modalities"): features standardised, the
// intercept unpenalised, w = (Z'Z + alpha I)^-1 Z'(y - mean y) solved with LAPACK through xtensor-blas
// (xt::linalg::solve). With several alphas the one with the lowest k-fold cross-validated MAPE is chosen
// (the folds drawn from moo::rng with `seed`), then refitted on all points.
// Needs xtensor, xtensor-blas and a BLAS/LAPACK: link moo::surrogate.
// Example: moo::ridge m({.alphas = {0.01, 0.1, 1.0}});
//          m.fit(x, y);                      // x: one row of features per measured configuration
//          std::vector<double> p = m.predict(x_new);
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numeric>
#include <span>
#include <vector>

#include <xtensor-blas/xlinalg.hpp>
#include <xtensor/xtensor.hpp>

#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"
#include "moo/core/rng.hpp"
#include "moo/surrogate/metrics.hpp"

namespace moo {

struct ridge_options {
  std::vector<double> alphas = {1e-4, 1e-3, 1e-2, 1e-1, 1.0, 10.0, 100.0};  // the penalty's candidates
  std::size_t folds = 5;     // cross-validation folds when there are several alphas
  std::uint64_t seed = 1;    // draws the folds
};

namespace detail {

// Checks a training set: x.rows() == y.size() > 0, every value finite, y not constant.
inline void check_training_set(std::string_view who, const matrix& x, std::span<const double> y) {
  if (x.rows() != y.size())
    throw dimension_error(detail::message(who, ": ", x.rows(), " rows of features against ", y.size(), " targets"));
  if (x.rows() == 0 || x.cols() == 0)
    throw value_error(detail::message(who, ": no training data (", x.rows(), " x ", x.cols(), " features)"));
  for (std::size_t i = 0; i < x.rows(); ++i) {
    for (std::size_t j = 0; j < x.cols(); ++j)
      if (!std::isfinite(x(i, j)))
        throw value_error(detail::message(who, ": feature ", j, " of row ", i, " is not finite (", x(i, j), ")"));
    if (!std::isfinite(y[i])) throw value_error(detail::message(who, ": target ", i, " is not finite (", y[i], ")"));
  }
  if (std::all_of(y.begin(), y.end(), [&](double v) { return v == y[0]; }))
    throw value_error(detail::message(who, ": all ", y.size(), " targets are ", y[0], " (nothing to learn)"));
}

// k folds of n points: fold[i] in [0, k), sizes differing by at most one, order drawn from r.
inline std::vector<std::size_t> draw_folds(std::size_t n, std::size_t k, rng& r) {
  std::vector<std::size_t> order(n), fold(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  r.shuffle(order.begin(), order.end());
  for (std::size_t i = 0; i < n; ++i) fold[order[i]] = i % k;
  return fold;
}

// The rows of x (and entries of y) whose fold is (in_fold ? == f : != f).
inline void fold_rows(const matrix& x, std::span<const double> y, const std::vector<std::size_t>& fold, std::size_t f,
                      bool in_fold, matrix& xs, std::vector<double>& ys) {
  xs = matrix(0, x.cols());
  ys.clear();
  for (std::size_t i = 0; i < x.rows(); ++i)
    if ((fold[i] == f) == in_fold) {
      xs.push_back(x.row(i));
      ys.push_back(y[i]);
    }
}

// Cross-validated MAPE of a predictor type made by make(), over the given folds.
template <class Make>
double cross_validated_mape(const matrix& x, std::span<const double> y, const std::vector<std::size_t>& fold,
                            std::size_t k, Make make) {
  std::vector<double> measured, predicted;
  matrix xt, xv;
  std::vector<double> yt, yv;
  for (std::size_t f = 0; f < k; ++f) {
    fold_rows(x, y, fold, f, false, xt, yt);
    fold_rows(x, y, fold, f, true, xv, yv);
    auto m = make();
    m.fit_once(xt, yt);
    const auto p = m.predict(xv);
    measured.insert(measured.end(), yv.begin(), yv.end());
    predicted.insert(predicted.end(), p.begin(), p.end());
  }
  return mape(measured, predicted);
}

}  // namespace detail

class ridge {
 public:
  ridge() = default;
  explicit ridge(ridge_options o) : options_(std::move(o)) {}

  // Learns y from the rows of x; with several alphas, chooses one by cross-validated MAPE first.
  void fit(const matrix& x, std::span<const double> y) {
    detail::check_training_set("ridge", x, y);
    if (options_.alphas.empty()) throw value_error("ridge: no alpha to fit with (options.alphas is empty)");
    for (const double a : options_.alphas)
      if (!(a >= 0.0) || !std::isfinite(a)) throw value_error(detail::message("ridge: alpha ", a, " must be finite and >= 0"));
    // Fitted into a new model that replaces this one only when everything succeeded.
    ridge next(options_);
    next.alpha_ = options_.alphas.front();
    if (options_.alphas.size() > 1) {
      if (options_.folds < 2 || x.rows() < options_.folds)
        throw value_error(detail::message("ridge: ", x.rows(), " points cannot make ", options_.folds,
                                          " cross-validation folds (needs folds >= 2 and at least one point per fold)"));
      for (std::size_t i = 0; i < y.size(); ++i)
        if (y[i] == 0.0)
          throw value_error(detail::message("ridge: target ", i, " is 0, so the cross-validated MAPE that chooses alpha "
                                            "is undefined (give a single alpha, or shift the targets)"));
      rng r(options_.seed);
      const auto fold = detail::draw_folds(x.rows(), options_.folds, r);
      double best = std::numeric_limits<double>::infinity();
      for (const double a : options_.alphas) {
        const double e = detail::cross_validated_mape(x, y, fold, options_.folds, [&] {
          ridge m(options_);
          m.alpha_ = a;
          return m;
        });
        if (e < best) {
          best = e;
          next.alpha_ = a;
        }
      }
      next.cv_mape_ = best;
    }
    next.fit_once(x, y);
    *this = std::move(next);
  }

  // One prediction per row of x.
  std::vector<double> predict(const matrix& x) const {
    if (coef_.empty()) throw value_error("ridge: predict before fit");
    if (x.cols() != coef_.size())
      throw dimension_error(detail::message("ridge: predict with ", x.cols(), " features, fitted with ", coef_.size()));
    std::vector<double> out(x.rows(), intercept_);
    for (std::size_t i = 0; i < x.rows(); ++i)
      for (std::size_t j = 0; j < coef_.size(); ++j) out[i] += coef_[j] * x(i, j);
    return out;
  }

  double alpha() const { return alpha_; }                      // the penalty used (chosen, with several)
  double cv_mape() const { return cv_mape_; }                  // its cross-validated MAPE (NaN: not chosen)
  std::span<const double> coefficients() const { return coef_; }  // in the features' own units
  double intercept() const { return intercept_; }

  // Fits with alpha() alone (no cross-validation); used by fit and by the folds.
  void fit_once(const matrix& x, std::span<const double> y) {
    const std::size_t n = x.rows(), d = x.cols();
    std::vector<double> mean(d, 0.0), scale(d, 0.0);
    for (std::size_t j = 0; j < d; ++j) {
      for (std::size_t i = 0; i < n; ++i) mean[j] += x(i, j);
      mean[j] /= static_cast<double>(n);
      for (std::size_t i = 0; i < n; ++i) scale[j] += (x(i, j) - mean[j]) * (x(i, j) - mean[j]);
      scale[j] = std::sqrt(scale[j] / static_cast<double>(n));
    }
    const double y_mean = std::accumulate(y.begin(), y.end(), 0.0) / static_cast<double>(n);
    // A constant feature (scale 0) carries nothing: its column of Z is 0 and its coefficient stays 0.
    xt::xtensor<double, 2> z = xt::zeros<double>({n, d});
    xt::xtensor<double, 1> yc = xt::zeros<double>({n});
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < d; ++j) z(i, j) = scale[j] > 0.0 ? (x(i, j) - mean[j]) / scale[j] : 0.0;
      yc(i) = y[i] - y_mean;
    }
    xt::xtensor<double, 2> a = xt::linalg::dot(xt::transpose(z), z);
    for (std::size_t j = 0; j < d; ++j) a(j, j) += scale[j] > 0.0 ? alpha_ : 1.0;
    // With alpha 0 and collinear features Z'Z is singular: a tiny ridge keeps the solve defined.
    if (alpha_ == 0.0)
      for (std::size_t j = 0; j < d; ++j) a(j, j) += 1e-12 * static_cast<double>(n);
    const xt::xtensor<double, 1> b = xt::linalg::dot(xt::transpose(z), yc);
    const xt::xtensor<double, 1> w = xt::linalg::solve(a, b);
    coef_.assign(d, 0.0);
    intercept_ = y_mean;
    for (std::size_t j = 0; j < d; ++j) {
      if (scale[j] == 0.0) continue;
      coef_[j] = w(j) / scale[j];
      intercept_ -= coef_[j] * mean[j];
    }
  }

 private:
  ridge_options options_{};
  double alpha_ = 1.0;
  double cv_mape_ = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> coef_;
  double intercept_ = 0.0;
};

}  // namespace moo
