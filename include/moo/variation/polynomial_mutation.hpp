// Polynomial mutation for bounded real variables (Deb & Goyal 1996; the bounded form used in Deb's
// NSGA-II reference code).
#pragma once

#include <algorithm>
#include <cmath>

#include "moo/core/rng.hpp"
#include "moo/genome/real.hpp"

namespace moo {

struct polynomial_mutation {
  double eta = 20.0;          // distribution index
  double probability = -1.0;  // per-variable chance; negative means 1 / number of variables

  void operator()(const real_space& s, real_genome& x, rng& r) const {
    const double p = probability < 0 ? 1.0 / static_cast<double>(std::max<std::size_t>(x.size(), 1))
                                     : probability;
    const double power = 1.0 / (eta + 1.0);
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!r.bernoulli(p)) continue;
      const double lo = s.lower[i];
      const double hi = s.upper[i];
      if (hi <= lo) continue;
      const double y = x[i];
      const double d1 = (y - lo) / (hi - lo);
      const double d2 = (hi - y) / (hi - lo);
      const double u = r.uniform();
      double dq;
      if (u <= 0.5) {
        const double v = 2.0 * u + (1.0 - 2.0 * u) * std::pow(1.0 - d1, eta + 1.0);
        dq = std::pow(v, power) - 1.0;
      } else {
        const double v = 2.0 * (1.0 - u) + 2.0 * (u - 0.5) * std::pow(1.0 - d2, eta + 1.0);
        dq = 1.0 - std::pow(v, power);
      }
      x[i] = std::clamp(y + dq * (hi - lo), lo, hi);
    }
  }
};

}  // namespace moo
