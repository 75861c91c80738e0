// The cost of one LINAS iteration's proposal (moo::linas_proposal::propose: fit one predictor per
// objective on every measurement so far, run the inner NSGA-II on predictions, pick the unmeasured final
// population), to set against one real measurement of a sub-network (results/linas.md: about a second
// with validation on 2,000 images). The space has the default super-network's shape (nas/supernet: 3
// stages, each a depth gene of 3 choices and 3 blocks of a kernel gene and a width gene of 3 choices:
// 21 genes, 63 one-hot features); the two objectives are error- and latency-like functions of the genes.
// Names: BM_linas_propose/<ridge|svr>/<measurements so far>/<inner population>; the inner search runs 400
// generations (the paper's ~20,000 predicted evaluations per iteration at population 50).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <vector>

#include "moo/algorithm/linas.hpp"
#include "moo/core/rng.hpp"
#include "moo/surrogate/svr.hpp"

namespace {

// n measured configurations of a 21-gene space with two smooth objectives.
struct history_data {
  moo::integer_space space{std::vector<long>(21, 0), std::vector<long>(21, 2)};
  std::vector<moo::integer_genome> genomes;
  moo::matrix objectives{0, 2};
};

history_data make_history(std::size_t n) {
  history_data h;
  moo::rng r(5);
  for (std::size_t i = 0; i < n; ++i) {
    h.genomes.push_back(h.space.sample(r));
    const auto& g = h.genomes.back();
    double cost = 1.0, gain = 0.0;
    for (std::size_t k = 0; k < g.size(); ++k) {
      const double v = static_cast<double>(g[k]);
      cost += (k % 7 == 0 ? 2.0 : 0.5) * (v + 1.0) * (v + 1.0);
      gain += 0.2 * std::log1p(v) * static_cast<double>(1 + k % 3);
    }
    const double row[2] = {std::exp(-gain), cost};
    h.objectives.push_back(std::span<const double>(row, 2));
  }
  return h;
}

template <class Predictor>
void bm_linas_propose(benchmark::State& state) {
  const auto h = make_history(static_cast<std::size_t>(state.range(0)));
  moo::linas_proposal<Predictor, moo::integer_nsga2> p;
  p.inner.population = static_cast<std::size_t>(state.range(1));
  p.inner.generations = 400;
  const moo::measurement_view<moo::integer_genome> view{std::span<const moo::integer_genome>(h.genomes), h.objectives};
  moo::rng r(1);
  std::size_t proposed = 0;
  for (auto _ : state) {
    auto batch = p.propose(h.space, view, p.inner.population, r);
    proposed = batch.size();
    benchmark::DoNotOptimize(batch);
  }
  state.counters["proposed"] = static_cast<double>(proposed);
}

}  // namespace

BENCHMARK(bm_linas_propose<moo::ridge>)
    ->Name("BM_linas_propose/ridge")
    ->Args({50, 50})
    ->Args({250, 50})
    ->Args({250, 25})
    ->Args({1000, 50})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(bm_linas_propose<moo::svr>)
    ->Name("BM_linas_propose/svr")
    ->Args({50, 50})
    ->Args({250, 50})
    ->Unit(benchmark::kMillisecond);
