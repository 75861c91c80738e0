#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "moo/algorithm/nsga2.hpp"
#include "moo/algorithm/random_search.hpp"
#include "moo/indicators/hypervolume.hpp"
#include "moo/pareto/sorting.hpp"
#include "moo/problems/zdt.hpp"

static_assert(moo::variation<moo::resample, moo::real_space>);
static_assert(!moo::variation<moo::random_mating, moo::real_space>);

TEST_CASE("random search keeps the non-dominated archive of everything it sampled") {
  const std::uint64_t seed = 41;
  MESSAGE("seed " << seed);
  const moo::zdt1 p;
  auto state = moo::random_search{{.population = 50, .generations = 20, .seed = seed}}.start(p.space());
  moo::matrix all;
  std::vector<moo::real_genome> sampled;
  for (int g = 0; g <= 20; ++g) {
    const auto batch = state.ask();
    moo::matrix f(batch.size(), 2);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      p.evaluate(batch[i], f.row(i));
      all.push_back(f.row(i));
      sampled.push_back(batch[i]);
    }
    state.tell(f);
  }
  CHECK(all.rows() == 50 * 21);
  // Fresh samples every generation: no genome is sampled twice.
  std::sort(sampled.begin(), sampled.end());
  CHECK(std::adjacent_find(sampled.begin(), sampled.end()) == sampled.end());
  const auto archive = moo::non_dominated_front(all);
  MESSAGE(archive.size() << " non-dominated points among " << all.rows() << " samples");
  REQUIRE(archive.size() <= 50);
  for (auto i : archive) {
    bool kept = false;
    for (std::size_t q = 0; q < state.objectives().rows() && !kept; ++q)
      kept = state.objectives()(q, 0) == all(i, 0) && state.objectives()(q, 1) == all(i, 1);
    CHECK(kept);
  }
}

TEST_CASE("random search is a baseline: it improves on its first sample, NSGA-II beats it") {
  const std::uint64_t seed = 42;
  MESSAGE("seed " << seed);
  const std::vector<double> ref{1.1, 10.0};  // wide enough for random samples (g is about 5.5)
  const auto first = moo::random_search{{.population = 100, .generations = 0, .seed = seed}}.run(moo::zdt1{});
  const auto rs = moo::random_search{{.population = 100, .generations = 100, .seed = seed}}.run(moo::zdt1{});
  const auto ga = moo::nsga2{{.population = 100, .generations = 100, .seed = seed}}.run(moo::zdt1{});
  const double hv0 = moo::hypervolume(first.objectives, ref);
  const double hv_rs = moo::hypervolume(rs.objectives, ref);
  const double hv_ga = moo::hypervolume(ga.objectives, ref);
  MESSAGE("ZDT1 hypervolume: first sample " << hv0 << ", random search " << hv_rs << ", NSGA-II " << hv_ga);
  CHECK(rs.evaluations == 100 * 101);
  CHECK(hv_rs > hv0);
  CHECK(hv_ga > hv_rs + 0.1);
}
