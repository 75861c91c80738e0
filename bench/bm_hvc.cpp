// Exclusive hypervolume contributions of every point: moo::hypervolume_contributions against
// pagmo::hypervolume::contributions (pagmo picks Emmerich & Fonseca's O(n log n) sweep in 3-D and WFG's
// per-point exclusive volumes above), on mutually non-dominated sets: points of the positive unit sphere
// (noisy_sphere's directions, projected back onto the sphere), reference 1.1 in every objective.
// Names: BM_hvc/<library>/<M>/<N>; BM_hvc/moo_limit_sets/3/<N> is moo's previous 3-D path (one
// hypervolume of a limit set per point), kept in the library for four and more objectives.
// Counter sum: the sum of the contributions (pagmo's run fails if any contribution differs from moo's
// by more than 1e-12 of the hypervolume).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <pagmo/types.hpp>
#include <pagmo/utils/hypervolume.hpp>
#include <string>
#include <utility>
#include <vector>

#include "moo/core/matrix.hpp"
#include "moo/indicators/hypervolume.hpp"
#include "noisy_front.hpp"

namespace {

struct hvc_data {
  moo::matrix f;
  std::vector<pagmo::vector_double> rows;
  std::vector<double> reference;
  std::vector<double> contributions;  // moo's, to check pagmo against
  double hv = 0;
};

// n points on the positive part of the unit sphere: mutually non-dominated.
moo::matrix sphere_front(std::size_t m, std::size_t n, std::uint64_t seed) {
  moo::matrix f = bench::noisy_sphere(m, n, seed);
  for (std::size_t i = 0; i < n; ++i) {
    double norm = 0;
    for (std::size_t j = 0; j < m; ++j) norm += f(i, j) * f(i, j);
    norm = std::sqrt(norm);
    for (std::size_t j = 0; j < m; ++j) f(i, j) /= norm;
  }
  return f;
}

double sum_of(const std::vector<double>& v) {
  double s = 0;
  for (const double x : v) s += x;
  return s;
}

void bm_hvc_moo(benchmark::State& state, const hvc_data* d) {
  std::vector<double> c;
  for (auto _ : state) {
    c = moo::hypervolume_contributions(d->f, d->reference);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.counters["sum"] = sum_of(c);
}

void bm_hvc_limit_sets(benchmark::State& state, const hvc_data* d) {
  std::vector<double> c;
  for (auto _ : state) {
    const auto inside = moo::detail::hv_prepare(d->f, d->reference, {}, "bench");
    c = moo::detail::hvc_limit_sets<3>(inside.data(), d->f.rows(), 3, d->reference.data());
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  for (std::size_t i = 0; i < c.size(); ++i)
    if (std::abs(c[i] - d->contributions[i]) > 1e-12 * d->hv)
      state.SkipWithError("the limit-set path and the sweep disagree");
  state.counters["sum"] = sum_of(c);
}

void bm_hvc_pagmo(benchmark::State& state, const hvc_data* d) {
  const pagmo::hypervolume h(d->rows, false);
  std::vector<double> c;
  for (auto _ : state) {
    c = h.contributions(d->reference);
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  for (std::size_t i = 0; i < c.size(); ++i)
    if (std::abs(c[i] - d->contributions[i]) > 1e-12 * d->hv)
      state.SkipWithError("pagmo and moo disagree on the contributions");
  state.counters["sum"] = sum_of(c);
}

bool register_hvc() {
  static std::vector<std::unique_ptr<hvc_data>> sets;
  const std::pair<std::size_t, std::size_t> sizes[] = {{3, 1000}, {3, 5000}, {4, 500}, {5, 300}};
  for (const auto& [m, n] : sizes) {
    auto d = std::make_unique<hvc_data>();
    d->f = sphere_front(m, n, 9000 * m + n);
    d->rows = d->f.to_rows();
    d->reference.assign(m, 1.1);
    d->contributions = moo::hypervolume_contributions(d->f, d->reference);
    d->hv = moo::hypervolume(d->f, d->reference);
    const std::string suffix = "/" + std::to_string(m) + "/" + std::to_string(n);
    benchmark::RegisterBenchmark(("BM_hvc/moo" + suffix).c_str(), bm_hvc_moo, d.get())
        ->Unit(benchmark::kMillisecond);
    if (m == 3)
      benchmark::RegisterBenchmark(("BM_hvc/moo_limit_sets" + suffix).c_str(), bm_hvc_limit_sets, d.get())
          ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("BM_hvc/pagmo" + suffix).c_str(), bm_hvc_pagmo, d.get())
        ->Unit(benchmark::kMillisecond);
    sets.push_back(std::move(d));
  }
  return true;
}

const bool hvc_registered = register_hvc();

}  // namespace
