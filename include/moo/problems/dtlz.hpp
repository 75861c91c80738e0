// The DTLZ1 and DTLZ2 test problems (Deb, Thiele, Laumanns & Zitzler 2002/2005), any number of
// objectives M >= 2, n = M + k - 1 variables in [0, 1], with their true fronts.
#pragma once

#include <cmath>
#include <cstddef>
#include <numbers>
#include <span>
#include <string>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/matrix.hpp"
#include "moo/genome/real.hpp"

namespace moo {

namespace detail {

class dtlz_base {
 public:
  using genome_type = real_genome;

  std::size_t num_objectives() const { return m_; }
  const real_space& space() const { return space_; }
  std::size_t num_variables() const { return space_.size(); }

 protected:
  dtlz_base(std::size_t m, std::size_t k) : m_(m), space_(real_space::uniform(m + k - 1, 0.0, 1.0)) {
    if (m < 2) throw value_error(detail::message("DTLZ: needs at least 2 objectives, got ", m));
    if (k < 1) throw value_error(detail::message("DTLZ: needs k >= 1 distance variables, got ", k));
  }
  void require_size(std::span<const double> x, std::span<double> f) const {
    if (x.size() != num_variables() || f.size() != m_)
      throw dimension_error(detail::message("DTLZ: genome of ", x.size(), " variables (expected ",
                                            num_variables(), ") and ", f.size(), " objective slots (expected ",
                                            m_, ")"));
  }
  // Points of the unit simplex sum(w) = 1 on a Das-Dennis lattice with `divisions` per axis.
  static std::vector<std::vector<double>> simplex_lattice(std::size_t m, std::size_t divisions) {
    std::vector<std::vector<double>> out;
    std::vector<std::size_t> c(m, 0);
    auto rec = [&](auto&& self, std::size_t i, std::size_t left) -> void {
      if (i + 1 == m) {
        c[i] = left;
        std::vector<double> w(m);
        for (std::size_t j = 0; j < m; ++j) w[j] = static_cast<double>(c[j]) / static_cast<double>(divisions);
        out.push_back(std::move(w));
        return;
      }
      for (std::size_t v = 0; v <= left; ++v) {
        c[i] = v;
        self(self, i + 1, left - v);
      }
    };
    rec(rec, 0, divisions);
    return out;
  }
  // The smallest lattice resolution giving at least n points in m dimensions.
  static std::size_t divisions_for(std::size_t m, std::size_t n) {
    std::size_t d = 1;
    auto count = [m](std::size_t div) {
      double c = 1;  // binomial(div + m - 1, m - 1)
      for (std::size_t i = 1; i < m; ++i) c = c * static_cast<double>(div + i) / static_cast<double>(i);
      return c;
    };
    while (count(d) < static_cast<double>(n)) ++d;
    return d;
  }
  std::size_t m_;
  real_space space_;
};

}  // namespace detail

// DTLZ1: linear front sum(f) = 0.5 with a Rastrigin-like g (11^k - 1 local fronts); k = 5 by default.
class dtlz1 : public detail::dtlz_base {
 public:
  explicit dtlz1(std::size_t objectives = 3, std::size_t k = 5) : dtlz_base(objectives, k) {}
  std::string name() const { return "dtlz1"; }
  void evaluate(std::span<const double> x, std::span<double> f) const {
    require_size(x, f);
    const std::size_t m = m_;
    double g = 0;
    for (std::size_t i = m - 1; i < x.size(); ++i)
      g += (x[i] - 0.5) * (x[i] - 0.5) - std::cos(20.0 * std::numbers::pi * (x[i] - 0.5));
    g = 100.0 * (static_cast<double>(x.size() - m + 1) + g);
    for (std::size_t j = 0; j < m; ++j) {
      double v = 0.5 * (1.0 + g);
      for (std::size_t i = 0; i + j + 1 < m; ++i) v *= x[i];
      if (j > 0) v *= 1.0 - x[m - 1 - j];
      f[j] = v;
    }
  }
  // At least n points of the front (a simplex lattice scaled to sum 0.5).
  matrix true_front(std::size_t n = 1000) const {
    matrix out;
    for (auto w : simplex_lattice(m_, divisions_for(m_, n))) {
      for (auto& v : w) v *= 0.5;
      out.push_back(w);
    }
    return out;
  }
};

// DTLZ2: spherical front sum(f^2) = 1; k = 10 by default.
class dtlz2 : public detail::dtlz_base {
 public:
  explicit dtlz2(std::size_t objectives = 3, std::size_t k = 10) : dtlz_base(objectives, k) {}
  std::string name() const { return "dtlz2"; }
  void evaluate(std::span<const double> x, std::span<double> f) const {
    require_size(x, f);
    const std::size_t m = m_;
    double g = 0;
    for (std::size_t i = m - 1; i < x.size(); ++i) g += (x[i] - 0.5) * (x[i] - 0.5);
    for (std::size_t j = 0; j < m; ++j) {
      double v = 1.0 + g;
      for (std::size_t i = 0; i + j + 1 < m; ++i) v *= std::cos(x[i] * std::numbers::pi / 2.0);
      if (j > 0) v *= std::sin(x[m - 1 - j] * std::numbers::pi / 2.0);
      f[j] = v;
    }
  }
  // At least n points of the front (a simplex lattice projected onto the unit sphere).
  matrix true_front(std::size_t n = 1000) const {
    matrix out;
    for (auto w : simplex_lattice(m_, divisions_for(m_, n))) {
      double norm = 0;
      for (double v : w) norm += v * v;
      norm = std::sqrt(norm);
      for (auto& v : w) v /= norm;
      out.push_back(w);
    }
    return out;
  }
};

}  // namespace moo
