// Multiple-gradient descent (Désidéri 2012): the min-norm element d of the convex hull of k gradients.
// If d != 0, -d decreases every objective at once (g_i . d >= |d|^2 > 0 for all i); d = 0 means the point
// is Pareto-stationary. Two gradients have a closed form; k > 2 are solved by Frank-Wolfe on the Gram
// matrix (Sener & Koltun 2018, "Multi-Task Learning as Multi-Objective Optimization", Algorithm 2).
// preference_mgd is the hypernetwork step of MODNAS (Sukthanker et al., "Multi-objective Differentiable
// Neural Architecture Search", ICLR 2025): preference-scalarised gradients per device, then MGD over the
// devices.
// Example:
//   moo::matrix g{{1, 0}, {0, 1}};                  // one gradient per row
//   moo::min_norm_result r = moo::min_norm(g);      // r.weights = {0.5, 0.5}, r.direction = {0.5, 0.5}
//   for (std::size_t j = 0; j < theta.size(); ++j) theta[j] -= step * r.direction[j];
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"

namespace moo {

// Frank-Wolfe stops when its duality gap |d|^2 - min_i g_i . d is at most tolerance * max_i |g_i|^2
// (relative, so scaling every gradient by c > 0 changes neither the iterations nor the weights), or after
// max_iterations steps. The gap bounds |d|^2 - |d*|^2 from above, and a gap <= eps means every gradient
// satisfies g_i . d >= |d|^2 - eps (the optimality condition of the min-norm point, up to eps).
// away_steps: besides Algorithm 2's steps toward the gradient least aligned with d, also step away from the
// active gradient most aligned with d when that promises more (Guélat & Marcotte 1986; Lacoste-Julien &
// Jaggi 2015). Plain Frank-Wolfe zig-zags, with an O(1/t) gap, when the min-norm point lies on a face of the
// hull (the common case); away steps converge linearly there (slowly only for nearly degenerate hulls:
// more gradients than dimensions with d* near 0) and can drop a gradient's weight to exactly 0.
// With away_steps = false the iteration is Sener & Koltun's Algorithm 2 (uniform start, exact line search).
struct min_norm_options {
  double tolerance = 1e-8;
  std::size_t max_iterations = 10000;
  bool away_steps = true;
};

// weights: the convex combination (non-negative, summing to 1), one per gradient;
// direction: sum_i weights[i] * g_i (empty from min_norm_gram, which never sees the gradients);
// norm: |direction| (from the Gram matrix when only that is given);
// gap: the final Frank-Wolfe gap |d|^2 - min_i g_i . d (0 for the closed forms of k = 1, 2);
// iterations: Frank-Wolfe steps taken (0 for k = 1, 2); converged: gap <= tolerance * max_i |g_i|^2.
// A solve that runs out of iterations returns its last iterate with converged = false; it does not throw.
struct min_norm_result {
  std::vector<double> weights;
  std::vector<double> direction;
  double norm = 0.0;
  double gap = 0.0;
  std::size_t iterations = 0;
  bool converged = true;
};

// The weight w in [0, 1] of the first vector in min_w |w a + (1 - w) b|^2, from aa = a.a, ab = a.b,
// bb = b.b (Sener & Koltun, Algorithm 1): w = (bb - ab) / (aa + bb - 2 ab), clipped. If ab >= aa, a is
// itself the min-norm point (w = 1; this includes a == b); if ab >= bb, b is (w = 0).
inline double min_norm_pair_weight(double aa, double ab, double bb) {
  if (ab >= aa) return 1.0;
  if (ab >= bb) return 0.0;
  // Here aa > ab and bb > ab, so the denominator is positive and the ratio lies in (0, 1).
  return std::clamp((bb - ab) / (aa + bb - 2.0 * ab), 0.0, 1.0);
}

namespace detail {

inline void check_gram(const matrix& gram, std::string_view what) {
  if (gram.empty()) throw value_error(message(what, ": no gradients"));
  if (gram.rows() != gram.cols())
    throw dimension_error(message(what, ": the Gram matrix is ", gram.rows(), " x ", gram.cols(), ", not square"));
  const std::size_t k = gram.rows();
  double scale = 0.0;
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = 0; j < k; ++j) {
      const double v = gram(i, j);
      if (!std::isfinite(v))
        throw value_error(message(what, ": non-finite value ", v, " in the Gram matrix at (", i, ", ", j, ")"));
    }
  for (std::size_t i = 0; i < k; ++i) {
    if (gram(i, i) < 0.0)
      throw value_error(message(what, ": negative squared norm ", gram(i, i), " on the Gram diagonal at ", i));
    scale = std::max(scale, gram(i, i));
  }
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = i + 1; j < k; ++j)
      if (std::abs(gram(i, j) - gram(j, i)) > 1e-9 * scale)
        throw value_error(message(what, ": the Gram matrix is not symmetric at (", i, ", ", j, "): ", gram(i, j),
                                  " against ", gram(j, i)));
}

// Frank-Wolfe over the simplex for min_a a^T M a (Sener & Koltun, Algorithm 2): start at the barycentre;
// each step picks the vertex t minimising (M a)_t, i.e. the gradient with the smallest inner product with
// the current d, and moves to the min-norm point of the segment [d, g_t] by the closed form. The Gram matrix
// is checked by the caller.
inline min_norm_result frank_wolfe(const matrix& gram, const min_norm_options& opt) {
  const std::size_t k = gram.rows();
  min_norm_result r;
  r.weights.assign(k, 0.0);
  double scale = 0.0;
  for (std::size_t i = 0; i < k; ++i) scale = std::max(scale, gram(i, i));
  auto quad = [&](const std::vector<double>& a, std::vector<double>& ma) {
    double dd = 0.0;
    for (std::size_t i = 0; i < k; ++i) {
      double s = 0.0;
      for (std::size_t j = 0; j < k; ++j) s += gram(i, j) * a[j];
      ma[i] = s;
      dd += a[i] * s;
    }
    return dd;
  };
  if (k == 1) {
    r.weights[0] = 1.0;
    r.norm = std::sqrt(gram(0, 0));
    return r;
  }
  if (k == 2) {
    const double w = min_norm_pair_weight(gram(0, 0), gram(0, 1), gram(1, 1));
    r.weights = {w, 1.0 - w};
    std::vector<double> ma(2);
    r.norm = std::sqrt(std::max(0.0, quad(r.weights, ma)));
    return r;
  }
  std::vector<double>& a = r.weights;
  std::fill(a.begin(), a.end(), 1.0 / static_cast<double>(k));
  std::vector<double> ma(k);
  double dd = quad(a, ma);
  if (scale == 0.0) return r;  // every gradient is 0: so is every combination
  const double threshold = opt.tolerance * scale;
  r.converged = false;
  for (;;) {
    const std::size_t t =
        static_cast<std::size_t>(std::min_element(ma.begin(), ma.end()) - ma.begin());
    r.gap = dd - ma[t];
    if (r.gap <= threshold) {
      r.converged = true;
      break;
    }
    if (r.iterations == opt.max_iterations) break;
    ++r.iterations;
    // Away vertex: the active gradient with the largest inner product with d.
    std::size_t v = k;
    if (opt.away_steps)
      for (std::size_t i = 0; i < k; ++i)
        if (a[i] > 0.0 && (v == k || ma[i] > ma[v])) v = i;
    if (v != k && ma[v] - dd > r.gap && a[v] < 1.0) {
      // Away step a <- a + s (a - e_v), s in [0, a_v / (1 - a_v)]: |d + s (d - g_v)|^2 is least at
      // s = (g_v.d - d.d) / |d - g_v|^2; the largest s drops g_v from the combination.
      const double s_max = a[v] / (1.0 - a[v]);
      const double curvature = dd - 2.0 * ma[v] + gram(v, v);
      const double s = curvature > 0.0 ? std::min((ma[v] - dd) / curvature, s_max) : s_max;
      for (double& ai : a) ai *= 1.0 + s;
      a[v] = s == s_max ? 0.0 : a[v] - s;
    } else {
      // Frank-Wolfe step (Algorithm 2): the weight of the current d on the segment [d, g_t], from
      // d.d = dd, d.g_t = ma[t], g_t.g_t = M_tt.
      const double w = min_norm_pair_weight(dd, ma[t], gram(t, t));
      for (double& ai : a) ai *= w;
      a[t] += 1.0 - w;
    }
    dd = quad(a, ma);
  }
  r.gap = std::max(r.gap, 0.0);
  r.norm = std::sqrt(std::max(0.0, dd));
  return r;
}

inline void check_gradient_value(double v, std::string_view what, std::size_t row, std::size_t col) {
  if (!std::isfinite(v))
    throw value_error(message(what, ": non-finite value ", v, " in gradient ", row, " at coordinate ", col));
}

// Solves on the Gram matrix of the rows of g, then forms the direction from the rows (its norm is taken
// from the direction, which is more accurate than sqrt(a^T M a) when d is small).
inline min_norm_result min_norm_rows(const matrix& g, const min_norm_options& opt) {
  const std::size_t k = g.rows(), n = g.cols();
  matrix gram(k, k);
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = i; j < k; ++j) {
      double s = 0.0;
      for (std::size_t c = 0; c < n; ++c) s += g(i, c) * g(j, c);
      gram(i, j) = gram(j, i) = s;
    }
  for (std::size_t i = 0; i < k; ++i)
    if (!std::isfinite(gram(i, i)))
      throw value_error(message("min_norm: the squared norm of gradient ", i, " overflows (", gram(i, i), ")"));
  min_norm_result r = frank_wolfe(gram, opt);
  r.direction.assign(n, 0.0);
  for (std::size_t i = 0; i < k; ++i)
    if (r.weights[i] != 0.0)
      for (std::size_t c = 0; c < n; ++c) r.direction[c] += r.weights[i] * g(i, c);
  double dd = 0.0;
  for (double v : r.direction) dd += v * v;
  r.norm = std::sqrt(dd);
  return r;
}

}  // namespace detail

// The min-norm convex combination from the k x k Gram matrix M_ij = g_i . g_j (symmetric, finite, with a
// non-negative diagonal; otherwise value_error; an empty or non-square matrix: value_error /
// dimension_error). k = 1, 2 are exact; k > 2 run Frank-Wolfe (see min_norm_options). The result has no
// direction. The weights are unique only when the gradients are affinely independent; the norm always is.
inline min_norm_result min_norm_gram(const matrix& gram, const min_norm_options& opt = {}) {
  detail::check_gram(gram, "min_norm_gram");
  return detail::frank_wolfe(gram, opt);
}

// The min-norm element of the convex hull of the rows of `gradients` (k gradients of n coordinates),
// with its weights and direction. No rows, no columns or a non-finite value: value_error.
inline min_norm_result min_norm(const matrix& gradients, const min_norm_options& opt = {}) {
  if (gradients.empty()) throw value_error("min_norm: no gradients");
  if (gradients.cols() == 0) throw value_error("min_norm: the gradients have no coordinates");
  for (std::size_t i = 0; i < gradients.rows(); ++i)
    for (std::size_t j = 0; j < gradients.cols(); ++j)
      detail::check_gradient_value(gradients(i, j), "min_norm", i, j);
  return detail::min_norm_rows(gradients, opt);
}

// The same for gradients given as separate vectors: gradients of different lengths are a
// dimension_error naming the first mismatch.
inline min_norm_result min_norm(std::span<const std::vector<double>> gradients, const min_norm_options& opt = {}) {
  if (gradients.empty()) throw value_error("min_norm: no gradients");
  const std::size_t n = gradients.front().size();
  for (std::size_t i = 1; i < gradients.size(); ++i)
    if (gradients[i].size() != n)
      throw dimension_error(detail::message("min_norm: gradient ", i, " has ", gradients[i].size(),
                                            " coordinates, gradient 0 has ", n));
  matrix g;
  g.reserve(gradients.size(), n);
  for (const auto& v : gradients) g.push_back(v);
  return min_norm(g, opt);
}

// The gradient of the scalarised loss r . L from the gradients of the objectives (row m of
// `objective_gradients` is grad L_m): sum_m r_m grad L_m. The preference is used as given (MODNAS draws
// it from a Dirichlet distribution, so it lies on the simplex); it must have one finite, non-negative entry
// per objective with a positive sum (dimension_error / value_error otherwise).
inline std::vector<double> scalarize(const matrix& objective_gradients, std::span<const double> preference) {
  if (objective_gradients.empty()) throw value_error("scalarize: no objective gradients");
  if (objective_gradients.cols() == 0) throw value_error("scalarize: the gradients have no coordinates");
  if (preference.size() != objective_gradients.rows())
    throw dimension_error(detail::message("scalarize: the preference has ", preference.size(),
                                          " entries for ", objective_gradients.rows(), " objectives"));
  double sum = 0.0;
  for (std::size_t m = 0; m < preference.size(); ++m) {
    if (!std::isfinite(preference[m]) || preference[m] < 0.0)
      throw value_error(detail::message("scalarize: preference entry ", m, " is ", preference[m],
                                        " (must be finite and non-negative)"));
    sum += preference[m];
  }
  if (!(sum > 0.0)) throw value_error("scalarize: the preference is all zero");
  std::vector<double> s(objective_gradients.cols(), 0.0);
  for (std::size_t m = 0; m < objective_gradients.rows(); ++m)
    for (std::size_t c = 0; c < s.size(); ++c) {
      const double v = objective_gradients(m, c);
      detail::check_gradient_value(v, "scalarize", m, c);
      s[c] += preference[m] * v;
    }
  for (std::size_t c = 0; c < s.size(); ++c)
    if (!std::isfinite(s[c]))
      throw value_error(detail::message("scalarize: the scalarised gradient overflows at coordinate ", c));
  return s;
}

// normalize: scale each device's scalarised gradient to unit length before the min-norm solve (a zero
// gradient stays zero), so devices with steep losses do not dominate the weights; this is the reference
// code's default (its option --no_grad_norm turns it off), not a step of the paper's Algorithm 1.
struct preference_mgd_options {
  bool normalize = true;
  min_norm_options solver{};
};

// MODNAS's update direction for the hypernetwork parameters Phi (Sukthanker et al. 2025, Algorithm 1 and
// the authors' search script). Device t has the gradients of its M objectives with respect to Phi
// (objective_gradients[t], M rows of n coordinates: e.g. cross-entropy and normalised latency) and a
// preference r_t (row t of `preferences`, or its only row for every device). Exactly as implemented:
//   s_t = sum_m r_{t,m} grad L_{t,m}                  (scalarize: the gradient of r_t . L_t)
//   s_t <- s_t / |s_t|  if options.normalize and s_t != 0
//   gamma = min-norm weights of {s_1 .. s_T}           (closed form for T = 2, Frank-Wolfe for T > 2)
//   direction = sum_t gamma_t s_t                      (the caller steps Phi <- Phi - eta * direction)
// The result's weights are the gammas (one per device), its direction and norm those of the combination.
// The preference scales the objectives within a device; MGD balances the devices. Any extra loss term
// (the reference code subtracts a cosine similarity between loss vector and preference) belongs in the
// objective gradients. No devices, devices with different shapes, a preference of the wrong length, or a
// negative, non-finite or all-zero preference: moo::value_error / dimension_error naming the device.
inline min_norm_result preference_mgd(std::span<const matrix> objective_gradients, const matrix& preferences,
                                      const preference_mgd_options& opt = {}) {
  if (objective_gradients.empty()) throw value_error("preference_mgd: no devices");
  const std::size_t devices = objective_gradients.size();
  const std::size_t objectives = objective_gradients.front().rows();
  const std::size_t n = objective_gradients.front().cols();
  for (std::size_t t = 0; t < devices; ++t) {
    const matrix& g = objective_gradients[t];
    if (g.rows() != objectives || g.cols() != n)
      throw dimension_error(detail::message("preference_mgd: device ", t, " has ", g.rows(), " x ", g.cols(),
                                            " objective gradients, device 0 has ", objectives, " x ", n));
  }
  if (preferences.rows() != 1 && preferences.rows() != devices)
    throw dimension_error(detail::message("preference_mgd: ", preferences.rows(), " preference rows for ",
                                          devices, " devices (give one row, or one per device)"));
  if (preferences.cols() != objectives)
    throw dimension_error(detail::message("preference_mgd: preferences have ", preferences.cols(),
                                          " entries for ", objectives, " objectives"));
  matrix s;
  s.reserve(devices, n);
  for (std::size_t t = 0; t < devices; ++t) {
    std::vector<double> st;
    try {
      st = scalarize(objective_gradients[t], preferences.row(preferences.rows() == 1 ? 0 : t));
    } catch (const dimension_error& e) {
      throw dimension_error(detail::message("preference_mgd: device ", t, ": ", e.what()));
    } catch (const value_error& e) {
      throw value_error(detail::message("preference_mgd: device ", t, ": ", e.what()));
    }
    if (opt.normalize) {
      double nn = 0.0;
      for (double v : st) nn += v * v;
      nn = std::sqrt(nn);
      if (!std::isfinite(nn))
        throw value_error(detail::message("preference_mgd: device ", t, ": the scalarised gradient's norm overflows"));
      if (nn > 0.0)
        for (double& v : st) v /= nn;
    }
    s.push_back(st);
  }
  return detail::min_norm_rows(s, opt.solver);
}

}  // namespace moo
