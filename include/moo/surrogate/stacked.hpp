// A stacked predictor (Wolpert 1992, "Stacked generalization"; Breiman 1996, "Stacked regressions"), the
// combination LINAS (Cummings et al. 2022) uses: two base predictors, by default ridge regression and an
// RBF support vector regression, and a ridge regression over their out-of-fold predictions that learns how
// much to trust each. fit(x, y):
//   1. fits both base models on all points (each chooses its own hyper-parameters, by cross-validated MAPE
//      for moo::ridge and moo::svr): these are the models predict() uses;
//   2. draws k folds (moo::rng with `seed`) and, for each fold, refits a copy of each fitted base model on
//      the other folds and predicts the fold, giving two columns of out-of-fold predictions. A base model
//      with fit_once (ridge, svr) refits with the hyper-parameters chosen in step 1, which costs k fits
//      instead of the k times its own cross-validation that nested cross-validation would; the price is
//      that the columns are slightly optimistic, since those hyper-parameters saw every point. Any other
//      predictor is fitted with fit() on each fold;
//   3. fits the meta ridge (`meta` options, alpha by its own cross-validated MAPE) from those two columns
//      to y.
// predict(x) = meta.predict([first.predict(x), second.predict(x)]).
// Needs xtensor, xtensor-blas and a BLAS/LAPACK: link moo::surrogate.
// Example: moo::stacked m({.folds = 5});
//          m.fit(x, y);
//          std::vector<double> p = m.predict(x_new);
//          moo::stacked_predictor<moo::ridge, my_gp> g(moo::ridge({.alphas = {0.1}}), my_gp{}, {.seed = 3});
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "moo/core/concepts.hpp"
#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"
#include "moo/core/rng.hpp"
#include "moo/surrogate/ridge.hpp"
#include "moo/surrogate/svr.hpp"

namespace moo {

struct stacked_options {
  std::size_t folds = 5;     // folds of the out-of-fold predictions, >= 2
  std::uint64_t seed = 1;    // draws those folds
  ridge_options meta = {};   // the ridge over the two columns of out-of-fold predictions
};

template <predictor A = ridge, predictor B = svr>
class stacked_predictor {
 public:
  stacked_predictor() = default;
  explicit stacked_predictor(stacked_options o) : options_(std::move(o)) {}
  // The base models as configured prototypes (their options travel with them).
  stacked_predictor(A first, B second, stacked_options o = {})
      : options_(std::move(o)), first_(std::move(first)), second_(std::move(second)) {}

  // Fits the base models, their out-of-fold predictions and the meta ridge (steps 1-3 above). An error of
  // a base model or of the meta ridge is rethrown with the stage named; a failed fit keeps the previously
  // fitted model.
  void fit(const matrix& x, std::span<const double> y) {
    detail::check_training_set("stacked", x, y);
    if (options_.folds < 2 || x.rows() < options_.folds)
      throw value_error(detail::message("stacked: ", x.rows(), " points cannot make ", options_.folds,
                                        " folds of out-of-fold predictions (needs folds >= 2 and at least one point "
                                        "per fold)"));
    stacked_predictor next(*this);
    stage("first base model on all points", [&] { next.first_.fit(x, y); });
    stage("second base model on all points", [&] { next.second_.fit(x, y); });

    rng r(options_.seed);
    const auto fold = detail::draw_folds(x.rows(), options_.folds, r);
    next.out_of_fold_ = matrix(x.rows(), 2);
    matrix xt, xv;
    std::vector<double> yt, yv;
    for (std::size_t f = 0; f < options_.folds; ++f) {
      detail::fold_rows(x, y, fold, f, false, xt, yt);
      detail::fold_rows(x, y, fold, f, true, xv, yv);
      std::vector<double> p1, p2;
      stage("first base model on a fold", [&] { p1 = refit(next.first_, xt, yt).predict(xv); });
      stage("second base model on a fold", [&] { p2 = refit(next.second_, xt, yt).predict(xv); });
      for (std::size_t i = 0, v = 0; i < x.rows(); ++i)
        if (fold[i] == f) {
          next.out_of_fold_(i, 0) = p1[v];
          next.out_of_fold_(i, 1) = p2[v];
          ++v;
        }
    }
    next.meta_ = ridge(options_.meta);
    stage("meta ridge over the out-of-fold predictions", [&] { next.meta_.fit(next.out_of_fold_, y); });
    next.features_ = x.cols();
    next.fitted_ = true;
    *this = std::move(next);
  }

  // One prediction per row of x: the meta ridge applied to the two base models' predictions.
  std::vector<double> predict(const matrix& x) const {
    if (!fitted_) throw value_error("stacked: predict before fit");
    if (x.cols() != features_)
      throw dimension_error(detail::message("stacked: predict with ", x.cols(), " features, fitted with ", features_));
    return meta_.predict(base_predictions(x));
  }

  // The two base models' predictions for the rows of x, one column each: what the meta ridge reads.
  matrix base_predictions(const matrix& x) const {
    const auto p1 = first_.predict(x), p2 = second_.predict(x);
    matrix z(x.rows(), 2);
    for (std::size_t i = 0; i < x.rows(); ++i) {
      z(i, 0) = p1[i];
      z(i, 1) = p2[i];
    }
    return z;
  }

  const A& first() const { return first_; }     // the base models, fitted on all points
  const B& second() const { return second_; }
  const ridge& meta() const { return meta_; }   // the meta ridge: coefficients()[0] weighs first, [1] second
  const matrix& out_of_fold() const { return out_of_fold_; }  // what the meta ridge was fitted on, n x 2

 private:
  // A copy of a fitted base model refitted on a fold's training rows (see step 2 above).
  template <class M>
  static M refit(const M& fitted, const matrix& x, std::span<const double> y) {
    M m = fitted;
    if constexpr (requires { m.fit_once(x, y); })
      m.fit_once(x, y);
    else
      m.fit(x, y);
    return m;
  }

  // Runs one stage of fit, prefixing the message of a moo error with the stage's name.
  template <class F>
  static void stage(std::string_view what, F f) {
    try {
      f();
    } catch (const dimension_error& e) {
      throw dimension_error(detail::message("stacked: ", what, ": ", e.what()));
    } catch (const value_error& e) {
      throw value_error(detail::message("stacked: ", what, ": ", e.what()));
    }
  }

  stacked_options options_{};
  A first_{};
  B second_{};
  ridge meta_{};
  matrix out_of_fold_;
  std::size_t features_ = 0;
  bool fitted_ = false;
};

using stacked = stacked_predictor<>;

}  // namespace moo
