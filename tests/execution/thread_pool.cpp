// The thread-pool executor: results identical to the sequential executor and in order, whatever the
// thread count; failures reported per genome with the rest of the batch kept.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "moo/algorithm/nsga2.hpp"
#include "moo/execution/sequential.hpp"
#include "moo/execution/thread_pool.hpp"
#include "moo/problems/dtlz.hpp"
#include "moo/problems/zdt.hpp"

namespace {

std::vector<moo::real_genome> sample(std::size_t n, std::uint64_t seed) {
  moo::rng r(seed);
  std::vector<moo::real_genome> xs;
  for (std::size_t i = 0; i < n; ++i) xs.push_back(moo::zdt1{}.space().sample(r));
  return xs;
}

// ZDT1 that fails for x_0 > 0.8, once with a std::exception and once with something else.
struct fragile : moo::zdt1 {
  void evaluate(std::span<const double> x, std::span<double> f) const {
    if (x[0] > 0.9) throw 42;  // not a std::exception
    if (x[0] > 0.8) throw std::runtime_error("simulated crash");
    moo::zdt1::evaluate(x, f);
  }
};

// ZDT1 that records which threads evaluated and counts calls.
struct watched : moo::zdt1 {
  mutable std::mutex m;
  mutable std::set<std::thread::id> ids;
  mutable std::atomic<std::size_t> calls{0};
  void evaluate(std::span<const double> x, std::span<double> f) const {
    ++calls;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
    {
      std::lock_guard lock(m);
      ids.insert(std::this_thread::get_id());
    }
    moo::zdt1::evaluate(x, f);
  }
};

struct not_an_executor {
  int evaluate(int) const { return 0; }
};

}  // namespace

static_assert(moo::executor<moo::thread_pool_executor, moo::zdt1>);
static_assert(moo::executor<moo::sequential_executor, moo::dtlz2>);
static_assert(!moo::executor<not_an_executor, moo::zdt1>);

TEST_CASE("thread pool: the same objectives as sequential, in order, for 1, 2, 3 and 8 threads") {
  const std::uint64_t seed = 21;
  MESSAGE("seed " << seed);
  const auto xs = sample(501, seed);
  const auto expected = moo::sequential_executor{}.evaluate(moo::zdt1{}, std::span<const moo::real_genome>(xs));
  for (std::size_t threads : {1, 2, 3, 8}) {
    CAPTURE(threads);
    moo::thread_pool_executor pool{{.threads = threads}};
    CHECK(pool.threads() == threads);
    for (int repeat = 0; repeat < 3; ++repeat)
      CHECK(pool.evaluate(moo::zdt1{}, std::span<const moo::real_genome>(xs)) == expected);
    CHECK(pool.evaluate(moo::zdt1{}, std::span<const moo::real_genome>()).rows() == 0);
  }
  moo::thread_pool_executor automatic;
  CHECK(automatic.threads() >= 1);
}

TEST_CASE("thread pool: evaluations run on several threads, each genome exactly once") {
  watched p;
  moo::thread_pool_executor pool{{.threads = 4}};
  const auto xs = sample(200, 5);
  const auto f = pool.evaluate(p, std::span<const moo::real_genome>(xs));
  CHECK(p.calls == 200);
  CHECK(p.ids.size() > 1);
  CHECK(f == moo::sequential_executor{}.evaluate(moo::zdt1{}, std::span<const moo::real_genome>(xs)));
}

TEST_CASE("thread pool: NSGA-II gives bit-identical results to the sequential run") {
  const std::uint64_t seed = 4;
  MESSAGE("seed " << seed);
  const moo::nsga2 algo{{.population = 40, .generations = 25, .seed = seed}};
  moo::thread_pool_executor pool{{.threads = 3}};
  const auto a = algo.run_on(pool, moo::dtlz2{3});
  const auto b = algo.run(moo::dtlz2{3});
  CHECK(a.objectives == b.objectives);
  CHECK(a.genomes == b.genomes);
  CHECK(a.evaluations == b.evaluations);
}

TEST_CASE("thread pool: failures name their genomes in index order; the batch's other results are kept") {
  const auto xs = sample(300, 13);
  moo::thread_pool_executor pool{{.threads = 3}};
  const fragile p;
  try {
    pool.evaluate(p, std::span<const moo::real_genome>(xs));
    FAIL("expected evaluation_error");
  } catch (const moo::evaluation_error& e) {
    REQUIRE(e.objectives().size() == 600);
    std::size_t previous = 0, crashes = 0, unknown = 0;
    for (const auto& fail : e.failures()) {
      CHECK(fail.index >= previous);
      previous = fail.index;
      CHECK(xs[fail.index][0] > 0.8);
      CHECK((fail.genome.starts_with("[0.8") || fail.genome.starts_with("[0.9")));
      CHECK(std::isnan(e.objectives()[2 * fail.index]));
      (fail.what == "simulated crash" ? crashes : unknown) += 1;
    }
    CHECK(crashes > 0);
    CHECK(unknown > 0);
    std::size_t failing = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) {
      if (xs[i][0] > 0.8) {
        ++failing;
        continue;
      }
      std::vector<double> f(2);
      moo::zdt1{}.evaluate(xs[i], f);
      CHECK(e.objectives()[2 * i] == f[0]);
      CHECK(e.objectives()[2 * i + 1] == f[1]);
    }
    CHECK(e.failures().size() == failing);
    CHECK(std::string(e.what()).find("evaluation failed for " + std::to_string(failing) + " of 300") == 0);
  }
  // A pool survives failing batches and keeps working.
  const auto ok = sample(10, 2);
  CHECK(pool.evaluate(moo::zdt1{}, std::span<const moo::real_genome>(ok)) ==
        moo::sequential_executor{}.evaluate(moo::zdt1{}, std::span<const moo::real_genome>(ok)));
}

namespace {

// ZDT1 whose evaluation evaluates a small inner batch on the same executor (as a search inside a search).
struct recursive : moo::zdt1 {
  moo::thread_pool_executor* pool = nullptr;
  void evaluate(std::span<const double> x, std::span<double> f) const {
    const std::vector<moo::real_genome> inner(3, moo::real_genome(x.begin(), x.end()));
    const auto g = pool->evaluate(moo::zdt1{}, std::span<const moo::real_genome>(inner));
    f[0] = g[2][0];
    f[1] = g[2][1];
  }
};

}  // namespace

TEST_CASE("thread pool: an evaluation may use the executor itself (runs serially, no deadlock)") {
  moo::thread_pool_executor pool{{.threads = 3}};
  recursive p;
  p.pool = &pool;
  const auto xs = sample(40, 8);
  CHECK(pool.evaluate(p, std::span<const moo::real_genome>(xs)) ==
        moo::sequential_executor{}.evaluate(moo::zdt1{}, std::span<const moo::real_genome>(xs)));
}
