// Non-dominated sorting: moo::non_dominated_ranks against pagmo's fast_non_dominated_sorting (Deb's
// O(M N^2) sort with domination lists) on noisy fronts, where most points are in the first few fronts.
// Names: BM_nds/<library>/<M>/<N>.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include <pagmo/types.hpp>
#include <pagmo/utils/multi_objective.hpp>

#include "moo/core/matrix.hpp"
#include "noisy_front.hpp"
#include "moo/core/rng.hpp"
#include "moo/pareto/sorting.hpp"

namespace {

using bench::noisy_sphere;

struct data_set {
  moo::matrix f;
  std::vector<pagmo::vector_double> rows;
  std::vector<std::size_t> ranks;  // moo's, to check pagmo against
};

void set_counters(benchmark::State& state, const data_set& d) {
  std::size_t fronts = 0, first = 0;
  for (const auto r : d.ranks) {
    fronts = std::max(fronts, r + 1);
    first += r == 0;
  }
  state.counters["fronts"] = static_cast<double>(fronts);
  state.counters["front0"] = static_cast<double>(first);
}

void bm_moo(benchmark::State& state, const data_set* d) {
  for (auto _ : state) {
    auto ranks = moo::non_dominated_ranks(d->f);
    benchmark::DoNotOptimize(ranks.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, *d);
}

void bm_pagmo(benchmark::State& state, const data_set* d) {
  pagmo::fnds_return_type result;
  for (auto _ : state) {
    result = pagmo::fast_non_dominated_sorting(d->rows);
    benchmark::DoNotOptimize(std::get<3>(result).data());
    benchmark::ClobberMemory();
  }
  const auto& ranks = std::get<3>(result);
  if (!std::equal(ranks.begin(), ranks.end(), d->ranks.begin(), d->ranks.end()))
    state.SkipWithError("pagmo and moo disagree on the ranks");
  set_counters(state, *d);
}

bool register_all() {
  static std::vector<std::unique_ptr<data_set>> sets;
  // The rows of issue 14 (moocore's figures) and the earlier ones (N = 5000).
  const std::pair<std::size_t, std::size_t> sizes[] = {{2, 1000}, {2, 5000}, {2, 10000}, {2, 20000},
                                                       {3, 1000}, {3, 5000}, {3, 10000}, {3, 20000},
                                                       {4, 5000}, {5, 1000}, {5, 5000},  {5, 20000}};
  for (const auto& [m, n] : sizes) {
    auto d = std::make_unique<data_set>();
    d->f = noisy_sphere(m, n, 1000 * m + n);
    d->rows = d->f.to_rows();
    d->ranks = moo::non_dominated_ranks(d->f);
    const std::string suffix = "/" + std::to_string(m) + "/" + std::to_string(n);
    benchmark::RegisterBenchmark(("BM_nds/moo" + suffix).c_str(), bm_moo, d.get())
        ->Unit(benchmark::kMillisecond);
    // pagmo is O(M N^2): at N = 20000 about 4 s of CPU per iteration, so only the M = 5 row (the one
    // issue 14 gives a pagmo figure for) runs at that size.
    if (n <= 10000 || m == 5)
      benchmark::RegisterBenchmark(("BM_nds/pagmo" + suffix).c_str(), bm_pagmo, d.get())
          ->Unit(benchmark::kMillisecond);
    sets.push_back(std::move(d));
  }
  return true;
}

const bool registered = register_all();

}  // namespace
