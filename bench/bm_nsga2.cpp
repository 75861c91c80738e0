// BM_nsga2_zdt1/<moo|pagmo>: a whole NSGA-II run on ZDT1 (population 100, 250 generations, same
// operator settings in both libraries). Counter hv_median: median hypervolume (reference 1.1, 1.1)
// of the final populations over seeds 1..5, computed outside the timed loop.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <vector>

#include <pagmo/algorithm.hpp>
#include <pagmo/algorithms/nsga2.hpp>
#include <pagmo/population.hpp>
#include <pagmo/problem.hpp>
#include <pagmo/problems/zdt.hpp>

#include "moo/algorithm/nsga2.hpp"
#include "moo/indicators/hypervolume.hpp"
#include "moo/problems/zdt.hpp"

namespace {

constexpr unsigned population = 100;
constexpr unsigned generations = 250;
// Deb's settings, used by both: crossover 0.9 with eta 15, mutation 1/n with eta 20.
constexpr double crossover_probability = 0.9, eta_c = 15.0, eta_m = 20.0;
const std::vector<double> reference{1.1, 1.1};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

moo::matrix moo_run(unsigned seed) {
  moo::nsga2 algo{{.population = population, .generations = generations, .seed = seed}};
  algo.opts.variation.crossover = {.probability = crossover_probability, .eta = eta_c};
  algo.opts.variation.mutation = {.eta = eta_m};
  return algo.run(moo::zdt1{}).objectives;
}

moo::matrix pagmo_run(unsigned seed) {
  pagmo::algorithm algo{pagmo::nsga2(generations, crossover_probability, eta_c, 1.0 / 30.0, eta_m, seed)};
  pagmo::population pop{pagmo::problem{pagmo::zdt(1, 30)}, population, seed};
  pop = algo.evolve(pop);
  return moo::matrix::from_rows(pop.get_f());
}

template <class Run>
void bench_run(benchmark::State& state, Run run) {
  unsigned seed = 1;
  for (auto _ : state) {
    auto f = run(seed);
    benchmark::DoNotOptimize(f);
    seed = seed % 5 + 1;
  }
  std::vector<double> hv;
  for (unsigned s = 1; s <= 5; ++s) hv.push_back(moo::hypervolume(run(s), reference));
  state.counters["hv_median"] = median(hv);
}

void BM_nsga2_zdt1_moo(benchmark::State& state) { bench_run(state, moo_run); }
void BM_nsga2_zdt1_pagmo(benchmark::State& state) { bench_run(state, pagmo_run); }

}  // namespace

BENCHMARK(BM_nsga2_zdt1_moo)->Name("BM_nsga2_zdt1/moo")->Unit(benchmark::kMillisecond);
BENCHMARK(BM_nsga2_zdt1_pagmo)->Name("BM_nsga2_zdt1/pagmo")->Unit(benchmark::kMillisecond);
