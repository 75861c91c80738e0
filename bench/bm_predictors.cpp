// The predictors of moo/surrogate (ridge, RBF SVR, their stack) fitted and queried as LINAS uses them:
// one-hot features of an integer search space (10 genes of 3 choices: 30 features) and a smooth objective
// with per-choice effects and interactions. fit includes each model's own hyper-parameter search with
// its default options (ridge: 7 alphas, svr: 3 C x 2 epsilon, 5 folds each; stacked: both plus 5
// out-of-fold refits and the meta ridge). predict: 1,000 new configurations.
// Names: BM_fit/<model>/<training points>, BM_predict/<model>/<training points>; counter mape: the
// held-out MAPE (%) on those 1,000 configurations. Needs only Google Benchmark and moo::surrogate.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstddef>
#include <vector>

#include "moo/core/rng.hpp"
#include "moo/surrogate/encoding.hpp"
#include "moo/surrogate/metrics.hpp"
#include "moo/surrogate/ridge.hpp"
#include "moo/surrogate/stacked.hpp"
#include "moo/surrogate/svr.hpp"

namespace {

struct data_set {
  moo::matrix x;
  std::vector<double> y;
};

// n configurations of 10 genes in [0, 2], one-hot encoded, and a latency-like objective of them.
data_set sample(std::size_t n, std::uint64_t seed) {
  const moo::integer_space space{std::vector<long>(10, 0), std::vector<long>(10, 2)};
  moo::rng r(seed);
  std::vector<moo::integer_genome> g;
  data_set d;
  for (std::size_t i = 0; i < n; ++i) {
    g.push_back(space.sample(r));
    const auto& v = g.back();
    double y = 5.0;
    for (std::size_t k = 0; k < v.size(); ++k) y += 0.1 * static_cast<double>(k + 1) * static_cast<double>(v[k]);
    y += 0.8 * std::sin(static_cast<double>(v[0] + v[1] + v[2])) + 0.3 * static_cast<double>(v[3] * v[4]);
    d.y.push_back(y);
  }
  d.x = moo::encode(space, g, moo::encoding::one_hot);
  return d;
}

const data_set& held_out() {
  static const data_set d = sample(1000, 99);
  return d;
}

template <class Model>
void bm_fit(benchmark::State& state) {
  const auto d = sample(static_cast<std::size_t>(state.range(0)), 7);
  Model m;
  for (auto _ : state) {
    m.fit(d.x, d.y);
    benchmark::ClobberMemory();
  }
  state.counters["mape"] = moo::mape(held_out().y, m.predict(held_out().x));
}

template <class Model>
void bm_predict(benchmark::State& state) {
  const auto d = sample(static_cast<std::size_t>(state.range(0)), 7);
  Model m;
  m.fit(d.x, d.y);
  for (auto _ : state) benchmark::DoNotOptimize(m.predict(held_out().x));
  state.counters["mape"] = moo::mape(held_out().y, m.predict(held_out().x));
}

void sizes(benchmark::internal::Benchmark* b) {
  for (const long n : {100, 500, 1000}) b->Arg(n);
  b->Unit(benchmark::kMillisecond);
}

}  // namespace

BENCHMARK(bm_fit<moo::ridge>)->Name("BM_fit/ridge")->Apply(sizes);
BENCHMARK(bm_fit<moo::svr>)->Name("BM_fit/svr")->Apply(sizes);
BENCHMARK(bm_fit<moo::stacked>)->Name("BM_fit/stacked")->Apply(sizes);
BENCHMARK(bm_predict<moo::ridge>)->Name("BM_predict/ridge")->Apply(sizes);
BENCHMARK(bm_predict<moo::svr>)->Name("BM_predict/svr")->Apply(sizes);
BENCHMARK(bm_predict<moo::stacked>)->Name("BM_predict/stacked")->Apply(sizes);
