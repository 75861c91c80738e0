// Hypervolume: moo::hypervolume against pagmo::hypervolume::compute (pagmo picks hv2d, hv3d or hvwfg by
// dimension) on noisy spherical fronts with reference 1.1 in every objective.
// Names: BM_hv/<library>/<M>/<N>. Counter hv: the value computed (pagmo's run fails if it disagrees
// with moo's beyond rounding).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <pagmo/types.hpp>
#include <pagmo/utils/hypervolume.hpp>

#include "moo/core/matrix.hpp"
#include "noisy_front.hpp"
#include "moo/core/rng.hpp"
#include "moo/indicators/hypervolume.hpp"

namespace {

using bench::noisy_sphere;

struct data_set {
  moo::matrix f;
  std::vector<pagmo::vector_double> rows;
  std::vector<double> reference;
  double hv = 0;  // moo's value, to check pagmo against
};

void bm_moo(benchmark::State& state, const data_set* d) {
  double hv = 0;
  for (auto _ : state) {
    hv = moo::hypervolume(d->f, d->reference);
    benchmark::DoNotOptimize(hv);
  }
  state.counters["hv"] = hv;
}

void bm_pagmo(benchmark::State& state, const data_set* d) {
  const pagmo::hypervolume h(d->rows, false);
  double hv = 0;
  for (auto _ : state) {
    hv = h.compute(d->reference);
    benchmark::DoNotOptimize(hv);
  }
  if (std::abs(hv - d->hv) > 1e-10 * d->hv) state.SkipWithError("pagmo and moo disagree on the hypervolume");
  state.counters["hv"] = hv;
}

bool register_all() {
  static std::vector<std::unique_ptr<data_set>> sets;
  for (const std::size_t m : {2, 3, 4, 5})
    for (const std::size_t n : {100, 1000, 10000}) {
      auto d = std::make_unique<data_set>();
      d->f = noisy_sphere(m, n, 7000 * m + n);
      d->rows = d->f.to_rows();
      d->reference.assign(m, 1.1);
      d->hv = moo::hypervolume(d->f, d->reference);
      const std::string suffix = "/" + std::to_string(m) + "/" + std::to_string(n);
      benchmark::RegisterBenchmark(("BM_hv/moo" + suffix).c_str(), bm_moo, d.get())
          ->Unit(benchmark::kMillisecond);
      // Every size runs for pagmo too: its slowest, WFG at M = 5, N = 10000, takes about 3.5 s of CPU per
      // iteration here (M = 4, N = 10000 about 1.8 s), so Google Benchmark runs those once.
      benchmark::RegisterBenchmark(("BM_hv/pagmo" + suffix).c_str(), bm_pagmo, d.get())
          ->Unit(benchmark::kMillisecond);
      sets.push_back(std::move(d));
    }
  return true;
}

const bool registered = register_all();

}  // namespace
