// The ZDT test problems (Zitzler, Deb & Thiele 2000), two objectives, with their true Pareto fronts.
#pragma once

#include <array>
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

// Common shape of ZDT1-4 and ZDT6: f1 from x_1, g from the rest, f2 = g * h(f1, g).
class zdt_base {
 public:
  using genome_type = real_genome;

  std::size_t num_objectives() const { return 2; }
  const real_space& space() const { return space_; }
  std::size_t num_variables() const { return space_.size(); }

 protected:
  explicit zdt_base(real_space s) : space_(std::move(s)) {
    if (space_.size() < 2)
      throw value_error(detail::message("ZDT: needs at least 2 variables, got ", space_.size()));
  }
  static void require_size(std::span<const double> x, std::span<double> out, std::size_t n) {
    if (x.size() != n || out.size() != 2)
      throw dimension_error(detail::message("ZDT: genome of ", x.size(), " variables (expected ", n,
                                            ") and ", out.size(), " objective slots (expected 2)"));
  }
  // Samples f2 = front(f1) at n evenly spaced f1 in [lo, hi].
  template <class F>
  static matrix sample_front(std::size_t n, double lo, double hi, F front) {
    matrix m(n, 2);
    for (std::size_t i = 0; i < n; ++i) {
      const double f1 = n == 1 ? lo : lo + (hi - lo) * static_cast<double>(i) / static_cast<double>(n - 1);
      m(i, 0) = f1;
      m(i, 1) = front(f1);
    }
    return m;
  }
  real_space space_;
};

inline double zdt_g_linear(std::span<const double> x) {
  double s = 0;
  for (std::size_t i = 1; i < x.size(); ++i) s += x[i];
  return 1.0 + 9.0 * s / static_cast<double>(x.size() - 1);
}

}  // namespace detail

// ZDT1: convex front f2 = 1 - sqrt(f1), n = 30 variables in [0, 1].
class zdt1 : public detail::zdt_base {
 public:
  explicit zdt1(std::size_t n = 30) : zdt_base(real_space::uniform(n, 0.0, 1.0)) {}
  std::string name() const { return "zdt1"; }
  void evaluate(std::span<const double> x, std::span<double> f) const {
    require_size(x, f, num_variables());
    const double g = detail::zdt_g_linear(x);
    f[0] = x[0];
    f[1] = g * (1.0 - std::sqrt(x[0] / g));
  }
  matrix true_front(std::size_t n = 1000) const {
    return sample_front(n, 0.0, 1.0, [](double f1) { return 1.0 - std::sqrt(f1); });
  }
};

// ZDT2: concave front f2 = 1 - f1^2.
class zdt2 : public detail::zdt_base {
 public:
  explicit zdt2(std::size_t n = 30) : zdt_base(real_space::uniform(n, 0.0, 1.0)) {}
  std::string name() const { return "zdt2"; }
  void evaluate(std::span<const double> x, std::span<double> f) const {
    require_size(x, f, num_variables());
    const double g = detail::zdt_g_linear(x);
    f[0] = x[0];
    f[1] = g * (1.0 - (x[0] / g) * (x[0] / g));
  }
  matrix true_front(std::size_t n = 1000) const {
    return sample_front(n, 0.0, 1.0, [](double f1) { return 1.0 - f1 * f1; });
  }
};

// ZDT3: disconnected front f2 = 1 - sqrt(f1) - f1 sin(10 pi f1) on five intervals of f1.
class zdt3 : public detail::zdt_base {
 public:
  explicit zdt3(std::size_t n = 30) : zdt_base(real_space::uniform(n, 0.0, 1.0)) {}
  std::string name() const { return "zdt3"; }
  void evaluate(std::span<const double> x, std::span<double> f) const {
    require_size(x, f, num_variables());
    const double g = detail::zdt_g_linear(x);
    const double r = x[0] / g;
    f[0] = x[0];
    f[1] = g * (1.0 - std::sqrt(r) - r * std::sin(10.0 * std::numbers::pi * x[0]));
  }
  // The five pieces of the front, f1 intervals as tabulated by Deb (2001).
  matrix true_front(std::size_t n = 1000) const {
    static constexpr std::array<std::array<double, 2>, 5> pieces{{{0.0, 0.0830015349},
                                                                  {0.1822287280, 0.2577623634},
                                                                  {0.4093136748, 0.4538821041},
                                                                  {0.6183967944, 0.6525117038},
                                                                  {0.8233317983, 0.8518328654}}};
    double total = 0;
    for (const auto& p : pieces) total += p[1] - p[0];
    matrix m;
    for (const auto& p : pieces) {
      const auto k = std::max<std::size_t>(2, static_cast<std::size_t>(std::round(n * (p[1] - p[0]) / total)));
      const auto part = sample_front(k, p[0], p[1], [](double f1) {
        return 1.0 - std::sqrt(f1) - f1 * std::sin(10.0 * std::numbers::pi * f1);
      });
      for (std::size_t i = 0; i < part.rows(); ++i) m.push_back(part.row(i));
    }
    return m;
  }
};

// ZDT4: multimodal g (21^9 local fronts); x_1 in [0, 1], the rest in [-5, 5]; front as ZDT1.
class zdt4 : public detail::zdt_base {
 public:
  explicit zdt4(std::size_t n = 10) : zdt_base(make_space(n)) {}
  std::string name() const { return "zdt4"; }
  void evaluate(std::span<const double> x, std::span<double> f) const {
    require_size(x, f, num_variables());
    double g = 1.0 + 10.0 * static_cast<double>(x.size() - 1);
    for (std::size_t i = 1; i < x.size(); ++i)
      g += x[i] * x[i] - 10.0 * std::cos(4.0 * std::numbers::pi * x[i]);
    f[0] = x[0];
    f[1] = g * (1.0 - std::sqrt(x[0] / g));
  }
  matrix true_front(std::size_t n = 1000) const {
    return sample_front(n, 0.0, 1.0, [](double f1) { return 1.0 - std::sqrt(f1); });
  }

 private:
  static real_space make_space(std::size_t n) {
    auto s = real_space::uniform(n, -5.0, 5.0);
    if (n > 0) {
      s.lower[0] = 0.0;
      s.upper[0] = 1.0;
    }
    return s;
  }
};

// ZDT6: non-uniform density, f1 = 1 - exp(-4 x1) sin^6(6 pi x1); front f2 = 1 - f1^2, f1 >= 0.2807753191.
class zdt6 : public detail::zdt_base {
 public:
  explicit zdt6(std::size_t n = 10) : zdt_base(real_space::uniform(n, 0.0, 1.0)) {}
  std::string name() const { return "zdt6"; }
  void evaluate(std::span<const double> x, std::span<double> f) const {
    require_size(x, f, num_variables());
    double s = 0;
    for (std::size_t i = 1; i < x.size(); ++i) s += x[i];
    const double g = 1.0 + 9.0 * std::pow(s / static_cast<double>(x.size() - 1), 0.25);
    const double f1 = 1.0 - std::exp(-4.0 * x[0]) * std::pow(std::sin(6.0 * std::numbers::pi * x[0]), 6.0);
    f[0] = f1;
    f[1] = g * (1.0 - (f1 / g) * (f1 / g));
  }
  matrix true_front(std::size_t n = 1000) const {
    return sample_front(n, 0.2807753191, 1.0, [](double f1) { return 1.0 - f1 * f1; });
  }
};

}  // namespace moo
