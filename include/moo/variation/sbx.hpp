// Simulated binary crossover for bounded real variables (Deb & Agrawal 1995; the bounded form of
// Deb's NSGA-II reference code, as in Deb, Sindhya & Okabe 2007).
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#include "moo/core/rng.hpp"
#include "moo/genome/real.hpp"

namespace moo {

struct sbx {
  double probability = 0.9;           // chance that a pair is crossed at all
  double eta = 15.0;                  // distribution index: larger keeps children nearer their parents
  double variable_probability = 0.5;  // chance that one variable of a crossed pair is recombined

  std::array<real_genome, 2> operator()(const real_space& s, const real_genome& a, const real_genome& b,
                                        rng& r) const {
    std::array<real_genome, 2> c{a, b};
    cross<true>(s, a, b, r, c[0], &c[1]);
    return c;
  }

  // The first child of operator() alone, drawing the same random numbers (for one child per mating).
  real_genome child(const real_space& s, const real_genome& a, const real_genome& b, rng& r) const {
    real_genome c = a;
    cross<false>(s, a, b, r, c, nullptr);
    return c;
  }

 private:
  // Recombines a and b into first (and second, when both are wanted); both start as copies of a, b.
  template <bool both>
  void cross(const real_space& s, const real_genome& a, const real_genome& b, rng& r, real_genome& first,
             real_genome* second) const {
    if (!r.bernoulli(probability)) return;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!r.bernoulli(variable_probability)) continue;
      if (std::abs(a[i] - b[i]) <= 1e-14) continue;
      const double y1 = std::min(a[i], b[i]);
      const double y2 = std::max(a[i], b[i]);
      const double lo = s.lower[i];
      const double hi = s.upper[i];
      const double u = r.uniform();
      const auto lower_child = [&] {
        return std::clamp(0.5 * ((y1 + y2) - spread(1.0 + 2.0 * (y1 - lo) / (y2 - y1), u) * (y2 - y1)), lo, hi);
      };
      const auto upper_child = [&] {
        return std::clamp(0.5 * ((y1 + y2) + spread(1.0 + 2.0 * (hi - y2) / (y2 - y1), u) * (y2 - y1)), lo, hi);
      };
      const bool swapped = r.bernoulli(0.5);
      if constexpr (both) {
        double v1 = lower_child();
        double v2 = upper_child();
        if (swapped) std::swap(v1, v2);
        first[i] = v1;
        (*second)[i] = v2;
      } else {
        first[i] = swapped ? upper_child() : lower_child();
      }
    }
  }

  // The spread factor beta_q for a uniform draw u, with the probability mass beyond the bound
  // (alpha) folded back inside (Deb's bounded SBX).
  double spread(double beta, double u) const {
    const double alpha = 2.0 - std::pow(beta, -(eta + 1.0));
    if (u <= 1.0 / alpha) return std::pow(u * alpha, 1.0 / (eta + 1.0));
    return std::pow(1.0 / (2.0 - u * alpha), 1.0 / (eta + 1.0));
  }
};

}  // namespace moo
