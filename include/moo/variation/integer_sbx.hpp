// SBX and polynomial mutation for integer genomes: the real operators (variation/sbx.hpp,
// polynomial_mutation.hpp) applied to the genes as reals within the same bounds, then rounded to the
// nearest integer (the rounding repair of Deb & Goyal 1996's discrete handling, as in pymoo).
#pragma once

#include <array>
#include <cmath>
#include <algorithm>
#include <cstddef>
#include <vector>

#include "moo/core/rng.hpp"
#include "moo/genome/integer.hpp"
#include "moo/genome/real.hpp"
#include "moo/variation/polynomial_mutation.hpp"
#include "moo/variation/sbx.hpp"

namespace moo {

namespace detail {
inline real_space as_real(const integer_space& s) {
  return {std::vector<double>(s.lower.begin(), s.lower.end()), std::vector<double>(s.upper.begin(), s.upper.end())};
}
inline real_genome as_real(const integer_genome& x) { return real_genome(x.begin(), x.end()); }
inline integer_genome rounded(const real_genome& x, const integer_space& s) {
  integer_genome out(x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    out[i] = std::clamp(static_cast<long>(std::lround(x[i])), s.lower[i], s.upper[i]);
  return out;
}
}  // namespace detail

// Simulated binary crossover on integer genes, children rounded to the nearest integer.
struct rounded_sbx {
  sbx crossover{};

  std::array<integer_genome, 2> operator()(const integer_space& s, const integer_genome& a, const integer_genome& b,
                                           rng& r) const {
    const auto rs = detail::as_real(s);
    const auto c = crossover(rs, detail::as_real(a), detail::as_real(b), r);
    return {detail::rounded(c[0], s), detail::rounded(c[1], s)};
  }
};

// Polynomial mutation on integer genes, the result rounded to the nearest integer.
struct rounded_polynomial_mutation {
  polynomial_mutation mutation{};

  void operator()(const integer_space& s, integer_genome& x, rng& r) const {
    auto y = detail::as_real(x);
    mutation(detail::as_real(s), y, r);
    x = detail::rounded(y, s);
  }
};

}  // namespace moo
