// BM_generation/<algo>/<moo|pagmo>: the time of one generation without its evaluations, population 100,
// ZDT1 (30 variables), same operator settings in both libraries (SBX 0.9 / eta 15, mutation 1/30 /
// eta 20; MOEA/D T = 20, delta = 0.9, nr = 2; pagmo's MOEA/D uses DE, CR = 1, F = 0.5).
// Times are the calling thread's CPU time, reported as manual time, so that other work on a shared
// machine does not count; both libraries run a generation on the calling thread.
// moo: each iteration is one ask() + tell() of a running search, timed around those two calls only; the
// objectives are computed between them, outside the timed region.
// pagmo: evolve() cannot be interrupted between generations, so each iteration times evolve() over
// 10 generations, subtracts 10 x 100 times the cost of one problem::fitness() call (measured beforehand
// on the same problem), and divides by 10. agemoea and nsga3 have no pagmo counterpart (moo only).
#include <benchmark/benchmark.h>

#include <ctime>
#include <vector>

#include <pagmo/algorithm.hpp>
#include <pagmo/algorithms/moead.hpp>
#include <pagmo/algorithms/nsga2.hpp>
#include <pagmo/population.hpp>
#include <pagmo/problem.hpp>
#include <pagmo/problems/zdt.hpp>
#include <pagmo/types.hpp>

#include "moo/algorithm/agemoea.hpp"
#include "moo/algorithm/moead.hpp"
#include "moo/algorithm/nsga2.hpp"
#include "moo/algorithm/nsga3.hpp"
#include "moo/problems/zdt.hpp"
#include "moo/selection/reference_directions.hpp"

namespace {

// The calling thread's CPU time in seconds.
struct thread_clock {
  static double now() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
  }
};

constexpr unsigned population = 100;
constexpr double crossover_probability = 0.9, eta_c = 15.0, eta_m = 20.0, mutation_probability = 1.0 / 30.0;

const moo::sbx_pm variation{.crossover = {.probability = crossover_probability, .eta = eta_c},
                            .mutation = {.eta = eta_m, .probability = mutation_probability}};

template <class Algo>
void bm_moo(benchmark::State& state, const Algo& algo) {
  const moo::zdt1 p;
  auto s = algo.start(p.space());
  moo::matrix f;
  auto evaluate = [&](const auto& batch) {
    f = moo::matrix(batch.size(), 2);
    for (std::size_t i = 0; i < batch.size(); ++i) p.evaluate(batch[i], f.row(i));
  };
  evaluate(s.ask());
  s.tell(f);
  for (auto _ : state) {
    const auto t0 = thread_clock::now();
    const auto& batch = s.ask();
    const auto t1 = thread_clock::now();
    evaluate(batch);
    const auto t2 = thread_clock::now();
    s.tell(f);
    const auto t3 = thread_clock::now();
    state.SetIterationTime((t1 - t0) + (t3 - t2));
  }
  state.counters["generation"] = static_cast<double>(s.generation());
}

// Seconds per pagmo::problem::fitness call on ZDT1 (30 variables), averaged over many calls.
double pagmo_fitness_seconds(const pagmo::problem& prob) {
  pagmo::population sample{prob, population, 7};
  const auto xs = sample.get_x();
  constexpr int rounds = 200;
  double sink = 0;
  const auto t0 = thread_clock::now();
  for (int r = 0; r < rounds; ++r)
    for (const auto& x : xs) sink += prob.fitness(x)[0];
  const auto t1 = thread_clock::now();
  benchmark::DoNotOptimize(sink);
  return (t1 - t0) / (rounds * static_cast<double>(xs.size()));
}

template <class Make>
void bm_pagmo(benchmark::State& state, Make make) {
  constexpr unsigned per_call = 10;
  pagmo::problem prob{pagmo::zdt(1, 30)};
  const double fitness = pagmo_fitness_seconds(prob);
  pagmo::population pop{prob, population, 1};
  pagmo::algorithm algo{make(per_call)};
  for (auto _ : state) {
    const auto t0 = thread_clock::now();
    pop = algo.evolve(pop);
    const auto t1 = thread_clock::now();
    const double total = t1 - t0;
    state.SetIterationTime((total - per_call * population * fitness) / per_call);
  }
  state.counters["fitness_ns"] = fitness * 1e9;
}

void BM_nsga2_moo(benchmark::State& state) {
  bm_moo(state, moo::nsga2{{.population = population, .seed = 1, .variation = variation}});
}
void BM_moead_moo(benchmark::State& state) {
  bm_moo(state, moo::moead<>{{.population = population, .seed = 1, .variation = variation}});
}
void BM_agemoea_moo(benchmark::State& state) {
  bm_moo(state, moo::agemoea{{.population = population, .seed = 1, .variation = variation}});
}
void BM_nsga3_moo(benchmark::State& state) {
  bm_moo(state, moo::nsga3{{.population = population,
                            .seed = 1,
                            .variation = variation,
                            .survival = moo::das_dennis(population - 1, 2)}});
}
void BM_nsga2_pagmo(benchmark::State& state) {
  bm_pagmo(state, [](unsigned gen) {
    return pagmo::nsga2(gen, crossover_probability, eta_c, mutation_probability, eta_m, 1);
  });
}
void BM_moead_pagmo(benchmark::State& state) {
  bm_pagmo(state, [](unsigned gen) {
    return pagmo::moead(gen, "grid", "tchebycheff", 20, 1.0, 0.5, eta_m, 0.9, 2, true, 1);
  });
}

}  // namespace

BENCHMARK(BM_nsga2_moo)->Name("BM_generation/nsga2/moo")->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_nsga2_pagmo)->Name("BM_generation/nsga2/pagmo")->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_moead_moo)->Name("BM_generation/moead/moo")->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_moead_pagmo)->Name("BM_generation/moead/pagmo")->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_agemoea_moo)->Name("BM_generation/agemoea/moo")->UseManualTime()->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_nsga3_moo)->Name("BM_generation/nsga3/moo")->UseManualTime()->Unit(benchmark::kMicrosecond);
