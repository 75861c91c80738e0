// Epsilon support vector regression with an RBF kernel, the non-linear predictor of LINAS (Cummings et
// al. 2022): k(a, b) = exp(-gamma |a - b|^2) on standardised features, fitted to standardised targets
// (so C and epsilon mean the same thing whatever the objective's units). The dual (Vapnik 1995; Smola and
// Schoelkopf 2004, "A tutorial on support vector regression", eq. 10) is solved by sequential minimal
// optimization with the second-order working-set selection of Fan, Chen and Lin 2005 ("Working set
// selection using second order information for training SVM", WSS 3), over the whole cached kernel
// matrix (n^2 doubles: 8 MB at 1,000 points, 200 MB at 5,000). With several (C, gamma, epsilon) the
// combination with the lowest k-fold cross-validated MAPE is chosen, then refitted on all points.
// Link moo::surrogate (xtensor; xtensor-blas through ridge.hpp, whose fold helpers it shares). The kernel
// itself is computed by loops, not BLAS (see kernel()).
// Example: moo::svr m({.cs = {1, 10}, .gammas = {0.0}, .epsilons = {0.01}});
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

#include <xtensor/xtensor.hpp>

#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"
#include "moo/core/rng.hpp"
#include "moo/surrogate/metrics.hpp"
#include "moo/surrogate/ridge.hpp"

namespace moo {

// The candidates are crossed: every (C, gamma, epsilon) is cross-validated when there are several.
// C and epsilon are in units of the targets' standard deviation; gamma in units of the standardised
// features, 0 meaning scikit-learn's "scale", 1 / (features * Var(Z)) = 1 / (number of non-constant
// features), since each standardised feature has variance 1.
struct svr_options {
  std::vector<double> cs = {1.0, 10.0, 100.0};  // box constraint of the dual coefficients, > 0
  std::vector<double> gammas = {0.0};           // RBF width, >= 0 (0: "scale")
  std::vector<double> epsilons = {0.01, 0.1};   // half-width of the tube without loss, >= 0
  std::size_t folds = 5;                        // cross-validation folds when there are several candidates
  std::uint64_t seed = 1;                       // draws the folds
  double tolerance = 1e-3;                      // stop when the maximal KKT violation is below this
  std::size_t max_iterations = 1'000'000;       // SMO steps before giving up (converged() is then false)
};

class svr {
 public:
  svr() = default;
  explicit svr(svr_options o) : options_(std::move(o)) {}

  // Learns y from the rows of x; with several candidates, chooses (C, gamma, epsilon) by cross-validated
  // MAPE first. Throws before changing anything: a failed fit keeps the previously fitted model.
  void fit(const matrix& x, std::span<const double> y) {
    detail::check_training_set("svr", x, y);
    check_options();
    svr next(options_);
    next.c_ = options_.cs.front();
    next.gamma_option_ = options_.gammas.front();
    next.epsilon_ = options_.epsilons.front();
    if (options_.cs.size() * options_.gammas.size() * options_.epsilons.size() > 1) {
      if (options_.folds < 2 || x.rows() < options_.folds)
        throw value_error(detail::message("svr: ", x.rows(), " points cannot make ", options_.folds,
                                          " cross-validation folds (needs folds >= 2 and at least one point per fold)"));
      for (std::size_t i = 0; i < y.size(); ++i)
        if (y[i] == 0.0)
          throw value_error(detail::message("svr: target ", i, " is 0, so the cross-validated MAPE that chooses C, gamma "
                                            "and epsilon is undefined (give one candidate each, or shift the targets)"));
      rng r(options_.seed);
      const auto fold = detail::draw_folds(x.rows(), options_.folds, r);
      double best = std::numeric_limits<double>::infinity();
      for (const double c : options_.cs)
        for (const double g : options_.gammas)
          for (const double e : options_.epsilons) {
            const double err = detail::cross_validated_mape(x, y, fold, options_.folds, [&] {
              svr m(options_);
              m.c_ = c;
              m.gamma_option_ = g;
              m.epsilon_ = e;
              return m;
            });
            if (err < best) {
              best = err;
              next.c_ = c;
              next.gamma_option_ = g;
              next.epsilon_ = e;
            }
          }
      next.cv_mape_ = best;
    }
    next.fit_once(x, y);
    *this = std::move(next);
  }

  // One prediction per row of x: target mean + target scale * (sum_i beta_i k(z, z_i) + bias).
  std::vector<double> predict(const matrix& x) const {
    if (!fitted_) throw value_error("svr: predict before fit");
    if (x.cols() != mean_.size())
      throw dimension_error(detail::message("svr: predict with ", x.cols(), " features, fitted with ", mean_.size()));
    std::vector<double> out(x.rows(), y_mean_ + y_scale_ * bias_);
    if (x.rows() == 0 || sv_coef_.size() == 0) return out;
    const auto k = kernel(standardise(x), support_, gamma_, false);
    for (std::size_t i = 0; i < out.size(); ++i) {
      double f = 0.0;
      for (std::size_t s = 0; s < sv_coef_.size(); ++s) f += k(i, s) * sv_coef_(s);
      out[i] += y_scale_ * f;
    }
    return out;
  }

  double c() const { return c_; }                  // the box constraint used (chosen, with several)
  double gamma() const { return gamma_; }          // the RBF width used, "scale" resolved to its value
  double epsilon() const { return epsilon_; }      // the tube half-width used, in target standard deviations
  double cv_mape() const { return cv_mape_; }      // the chosen candidate's cross-validated MAPE (NaN: not chosen)
  std::size_t iterations() const { return iterations_; }  // SMO steps of the last fit_once
  bool converged() const { return converged_; }    // false: stopped at max_iterations, violation above tolerance
  // beta_i = alpha_i - alpha*_i of each training point, in standardised target units; |beta_i| <= C,
  // sum beta_i = 0. Points with beta_i != 0 are the support vectors.
  std::span<const double> dual_coefficients() const { return beta_; }
  double bias() const { return bias_; }            // b of the standardised model
  std::size_t support_vectors() const { return sv_coef_.size(); }
  double target_mean() const { return y_mean_; }   // the standardisation of the targets:
  double target_scale() const { return y_scale_; }  //   standardised t = (y - mean) / scale

  // Fits with c(), the gamma candidate and epsilon() alone (no cross-validation); used by fit and by the folds.
  void fit_once(const matrix& x, std::span<const double> y) {
    const std::size_t n = x.rows(), d = x.cols();
    mean_.assign(d, 0.0);
    scale_.assign(d, 0.0);
    for (std::size_t j = 0; j < d; ++j) {
      for (std::size_t i = 0; i < n; ++i) mean_[j] += x(i, j);
      mean_[j] /= static_cast<double>(n);
      for (std::size_t i = 0; i < n; ++i) scale_[j] += (x(i, j) - mean_[j]) * (x(i, j) - mean_[j]);
      scale_[j] = std::sqrt(scale_[j] / static_cast<double>(n));
    }
    y_mean_ = std::accumulate(y.begin(), y.end(), 0.0) / static_cast<double>(n);
    double var = 0.0;
    for (const double v : y) var += (v - y_mean_) * (v - y_mean_);
    // A cross-validation fold may hold only equal targets: unit scale then, and the model is that constant.
    y_scale_ = var > 0.0 ? std::sqrt(var / static_cast<double>(n)) : 1.0;
    std::vector<double> t(n);
    for (std::size_t i = 0; i < n; ++i) t[i] = (y[i] - y_mean_) / y_scale_;

    const auto nonconstant = static_cast<std::size_t>(std::count_if(scale_.begin(), scale_.end(), [](double s) { return s > 0.0; }));
    gamma_ = gamma_option_ > 0.0 ? gamma_option_ : 1.0 / static_cast<double>(std::max<std::size_t>(nonconstant, 1));
    const auto z = standardise(x);
    const auto k = kernel(z, z, gamma_, true);
    solve(k, t);

    std::vector<std::size_t> sv;
    for (std::size_t i = 0; i < n; ++i)
      if (beta_[i] != 0.0) sv.push_back(i);
    support_ = xt::xtensor<double, 2>::from_shape({sv.size(), d});
    sv_coef_ = xt::xtensor<double, 1>::from_shape({sv.size()});
    for (std::size_t s = 0; s < sv.size(); ++s) {
      for (std::size_t j = 0; j < d; ++j) support_(s, j) = z(sv[s], j);
      sv_coef_(s) = beta_[sv[s]];
    }
    fitted_ = true;
  }

 private:
  void check_options() const {
    if (options_.cs.empty() || options_.gammas.empty() || options_.epsilons.empty())
      throw value_error(detail::message("svr: no candidate to fit with (options.cs has ", options_.cs.size(),
                                        ", options.gammas ", options_.gammas.size(), ", options.epsilons ",
                                        options_.epsilons.size(), ")"));
    for (const double c : options_.cs)
      if (!(c > 0.0) || !std::isfinite(c)) throw value_error(detail::message("svr: C ", c, " must be finite and > 0"));
    for (const double g : options_.gammas)
      if (!(g >= 0.0) || !std::isfinite(g))
        throw value_error(detail::message("svr: gamma ", g, " must be finite and >= 0 (0: 1 / number of features)"));
    for (const double e : options_.epsilons)
      if (!(e >= 0.0) || !std::isfinite(e)) throw value_error(detail::message("svr: epsilon ", e, " must be finite and >= 0"));
    if (!(options_.tolerance > 0.0) || !std::isfinite(options_.tolerance))
      throw value_error(detail::message("svr: tolerance ", options_.tolerance, " must be finite and > 0"));
    if (options_.max_iterations == 0) throw value_error("svr: max_iterations must be at least 1");
  }

  // (x - mean) / scale per feature; a feature constant in training (scale 0) carries nothing and is 0.
  xt::xtensor<double, 2> standardise(const matrix& x) const {
    const std::size_t n = x.rows(), d = x.cols();
    auto z = xt::xtensor<double, 2>::from_shape({n, d});
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t j = 0; j < d; ++j) z(i, j) = scale_[j] > 0.0 ? (x(i, j) - mean_[j]) / scale_[j] : 0.0;
    return z;
  }

  // K(i, j) = exp(-gamma |a_i - b_j|^2) by plain loops: through a BLAS product (|a|^2 + |b|^2 - 2 a.b)
  // the 800 x 800 Gram matrix of 30 features took 32 ms with Debian's OpenBLAS 0.3.21 on the bench
  // machine, these loops about 5 ms (and the direct differences need no clamping of negative round-off).
  // Symmetric (a is b, in fit): the upper triangle is computed and mirrored.
  static xt::xtensor<double, 2> kernel(const xt::xtensor<double, 2>& a, const xt::xtensor<double, 2>& b, double gamma,
                                       bool symmetric) {
    const std::size_t rows = a.shape(0), cols = b.shape(0), d = a.shape(1);
    auto k = xt::xtensor<double, 2>::from_shape({rows, cols});
    for (std::size_t i = 0; i < rows; ++i) {
      const double* ai = a.data() + i * d;
      for (std::size_t j = symmetric ? i : 0; j < cols; ++j) {
        const double* bj = b.data() + j * d;
        double d2 = 0.0;
        for (std::size_t f = 0; f < d; ++f) d2 += (ai[f] - bj[f]) * (ai[f] - bj[f]);
        k(i, j) = std::exp(-gamma * d2);
        if (symmetric) k(j, i) = k(i, j);
      }
    }
    return k;
  }

  // SMO on the dual of epsilon-SVR in LIBSVM's 2n-variable form: minimise
  //   1/2 beta' K beta + epsilon sum_i (alpha_i + alpha*_i) - t' beta,   beta = alpha - alpha*,
  //   subject to sum_i beta_i = 0 and 0 <= alpha_i, alpha*_i <= C.
  // Write f = K beta and v = t - f - epsilon for an alpha_i, t - f + epsilon for an alpha*_i (minus the
  // gradient, signed by the variable's label +1 / -1). At the optimum some b separates the v of the
  // variables that may still move up (alpha_i < C, alpha*_i > 0) from those that may move down
  // (alpha_i > 0, alpha*_i < C): max over "up" <= b <= min over "down"; the gap is the violation that must
  // fall below the tolerance. Each step takes the maximal "up" variable i and the "down" variable j that
  // promises the largest decrease under the second-order model (Fan et al. 2005, WSS 3), then moves
  // beta_s(i) up and beta_s(j) down by the same lambda (keeping sum beta = 0), the exact minimiser along
  // that line clipped to the box.
  void solve(const xt::xtensor<double, 2>& k, const std::vector<double>& t) {
    const std::size_t n = t.size();
    const double c = c_, eps = epsilon_;
    constexpr double tau = 1e-12;  // curvature floor: two identical points give a zero second derivative
    std::vector<double> alpha(n, 0.0), alpha_star(n, 0.0), f(n, 0.0), diag(n);
    for (std::size_t s = 0; s < n; ++s) diag[s] = k(s, s);
    converged_ = false;
    iterations_ = 0;
    double up_max = -std::numeric_limits<double>::infinity(), down_min = std::numeric_limits<double>::infinity();
    for (;;) {
      std::size_t i = 2 * n;
      up_max = -std::numeric_limits<double>::infinity();
      down_min = std::numeric_limits<double>::infinity();
      for (std::size_t s = 0; s < n; ++s) {  // alpha_s is variable s, alpha*_s variable n + s
        const double lo = t[s] - f[s] - eps, hi = t[s] - f[s] + eps;
        if (alpha[s] < c && lo > up_max) {
          up_max = lo;
          i = s;
        }
        if (alpha_star[s] > 0.0 && hi > up_max) {
          up_max = hi;
          i = n + s;
        }
        if (alpha[s] > 0.0) down_min = std::min(down_min, lo);
        if (alpha_star[s] < c) down_min = std::min(down_min, hi);
      }
      if (up_max - down_min < options_.tolerance) {
        converged_ = true;
        break;
      }
      if (iterations_ == options_.max_iterations) break;
      const std::size_t si = i < n ? i : i - n;
      const double* ki = k.data() + si * n;  // row si of K (= column si: K is symmetric)
      std::size_t j = 2 * n;
      double best = std::numeric_limits<double>::infinity(), gain_j = 0.0, curv_j = tau;
      // The decrease along the line is gain^2 / (2 curv), gain = up_max - v_j, curv = |phi(z_si) - phi(z_sj)|^2.
      const auto consider = [&](std::size_t v, double value, double curv) {
        const double gain = up_max - value;
        if (gain > 0.0 && -gain * gain / curv < best) {
          best = -gain * gain / curv;
          j = v;
          gain_j = gain;
          curv_j = curv;
        }
      };
      for (std::size_t s = 0; s < n; ++s) {
        const double curv = std::max(diag[si] + diag[s] - 2.0 * ki[s], tau);
        if (alpha[s] > 0.0) consider(s, t[s] - f[s] - eps, curv);
        if (alpha_star[s] < c) consider(n + s, t[s] - f[s] + eps, curv);
      }
      const std::size_t sj = j < n ? j : j - n;
      // alpha_i rises by lambda (alpha*_i falls), alpha_j falls (alpha*_j rises); the first bound met
      // is set exactly so that "free" (strictly inside the box) stays a clean test.
      const double room_i = i < n ? c - alpha[si] : alpha_star[si];
      const double room_j = j < n ? alpha[sj] : c - alpha_star[sj];
      const double lambda = std::min({gain_j / curv_j, room_i, room_j});
      const bool clip_i = lambda == room_i, clip_j = lambda == room_j;
      if (i < n) alpha[si] = clip_i ? c : alpha[si] + lambda;
      else alpha_star[si] = clip_i ? 0.0 : alpha_star[si] - lambda;
      if (j < n) alpha[sj] = clip_j ? 0.0 : alpha[sj] - lambda;
      else alpha_star[sj] = clip_j ? c : alpha_star[sj] + lambda;
      const double* kj = k.data() + sj * n;
      for (std::size_t r = 0; r < n; ++r) f[r] += lambda * (ki[r] - kj[r]);
      ++iterations_;
    }
    beta_.resize(n);
    for (std::size_t s = 0; s < n; ++s) beta_[s] = alpha[s] - alpha_star[s];
    // b: the average v of the free variables (each lies on the tube's edge, where v = b exactly at the
    // optimum); with none free, the middle of the interval [max "up", min "down"] that b must lie in.
    double sum = 0.0;
    std::size_t free = 0;
    for (std::size_t s = 0; s < n; ++s) {
      if (alpha[s] > 0.0 && alpha[s] < c) {
        sum += t[s] - f[s] - eps;
        ++free;
      }
      if (alpha_star[s] > 0.0 && alpha_star[s] < c) {
        sum += t[s] - f[s] + eps;
        ++free;
      }
    }
    if (free > 0) bias_ = sum / static_cast<double>(free);
    else if (std::isfinite(up_max) && std::isfinite(down_min)) bias_ = (up_max + down_min) / 2.0;
    else bias_ = std::isfinite(up_max) ? up_max : down_min;
  }

  svr_options options_{};
  double c_ = 1.0, gamma_option_ = 0.0, gamma_ = 1.0, epsilon_ = 0.1;
  double cv_mape_ = std::numeric_limits<double>::quiet_NaN();
  std::size_t iterations_ = 0;
  bool converged_ = false, fitted_ = false;
  std::vector<double> mean_, scale_, beta_;
  double y_mean_ = 0.0, y_scale_ = 1.0, bias_ = 0.0;
  xt::xtensor<double, 2> support_;  // standardised rows of the support vectors
  xt::xtensor<double, 1> sv_coef_;  // their beta
};

}  // namespace moo
