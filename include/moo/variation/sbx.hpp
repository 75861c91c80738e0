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
    if (!r.bernoulli(probability)) return c;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!r.bernoulli(variable_probability)) continue;
      if (std::abs(a[i] - b[i]) <= 1e-14) continue;
      const double y1 = std::min(a[i], b[i]);
      const double y2 = std::max(a[i], b[i]);
      const double lo = s.lower[i];
      const double hi = s.upper[i];
      const double u = r.uniform();
      const double c1 = 0.5 * ((y1 + y2) - spread(1.0 + 2.0 * (y1 - lo) / (y2 - y1), u) * (y2 - y1));
      const double c2 = 0.5 * ((y1 + y2) + spread(1.0 + 2.0 * (hi - y2) / (y2 - y1), u) * (y2 - y1));
      double v1 = std::clamp(c1, lo, hi);
      double v2 = std::clamp(c2, lo, hi);
      if (r.bernoulli(0.5)) std::swap(v1, v2);
      c[0][i] = v1;
      c[1][i] = v2;
    }
    return c;
  }

 private:
  // The spread factor beta_q for a uniform draw u, with the probability mass beyond the bound
  // (alpha) folded back inside (Deb's bounded SBX).
  double spread(double beta, double u) const {
    const double alpha = 2.0 - std::pow(beta, -(eta + 1.0));
    if (u <= 1.0 / alpha) return std::pow(u * alpha, 1.0 / (eta + 1.0));
    return std::pow(1.0 / (2.0 - u * alpha), 1.0 / (eta + 1.0));
  }
};

}  // namespace moo
