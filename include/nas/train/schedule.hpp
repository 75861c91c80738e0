// Learning-rate schedules as functions of training time t in epochs (fractional: t = epoch + step /
// steps_per_epoch, so the rate changes every step): cosine annealing and SGDR, cosine annealing with
// warm restarts (Loshchilov & Hutter 2017, eq. 5).
#pragma once

#include <cmath>
#include <numbers>

#include "moo/core/error.hpp"

namespace nas::train {

// lr(t) = lr_min + (lr_max - lr_min) (1 + cos(pi t / t_max)) / 2 for t in [0, t_max], lr_min after.
// Example: cosine_annealing s{.lr_max = 0.05, .t_max = 5}; opt.set_lr(s(epoch + double(i) / steps));
struct cosine_annealing {
  double lr_max = 0.1;
  double lr_min = 0.0;
  double t_max = 1.0;

  double operator()(double t) const {
    if (!(t_max > 0.0)) throw moo::value_error(moo::detail::message("cosine_annealing: t_max ", t_max, " must be positive"));
    if (t >= t_max) return lr_min;
    if (t <= 0.0) return lr_max;
    return lr_min + 0.5 * (lr_max - lr_min) * (1.0 + std::cos(std::numbers::pi * t / t_max));
  }
};

// SGDR: cosine cycles of length t_0, t_0 t_mult, t_0 t_mult^2, ...; each restarts at lr_max.
struct sgdr {
  double lr_max = 0.1;
  double lr_min = 0.0;
  double t_0 = 10.0;
  double t_mult = 2.0;

  double operator()(double t) const {
    if (!(t_0 > 0.0) || !(t_mult >= 1.0))
      throw moo::value_error(moo::detail::message("sgdr: t_0 ", t_0, " must be positive and t_mult ", t_mult, " >= 1"));
    if (t <= 0.0) return lr_max;
    double start = 0.0, len = t_0;
    if (t_mult == 1.0) {
      start = std::floor(t / t_0) * t_0;
    } else {
      // Cycle i starts at t_0 (t_mult^i - 1) / (t_mult - 1); jump near it, then fix rounding by stepping.
      const double i = std::floor(std::log(t / t_0 * (t_mult - 1.0) + 1.0) / std::log(t_mult));
      len = t_0 * std::pow(t_mult, i);
      start = t_0 * (std::pow(t_mult, i) - 1.0) / (t_mult - 1.0);
      while (t < start) {
        len /= t_mult;
        start -= len;
      }
      while (t >= start + len) {
        start += len;
        len *= t_mult;
      }
    }
    const double t_cur = t - start;
    return lr_min + 0.5 * (lr_max - lr_min) * (1.0 + std::cos(std::numbers::pi * t_cur / len));
  }
};

}  // namespace nas::train
