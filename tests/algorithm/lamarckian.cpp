// The grown evolve loop: Lamarckian evaluation (the evaluated genome joins the population), seeds, a
// mutation that declines, a screening stage, dropped failures, and checks on what policies return.
#include <doctest/doctest.h>

#include <cmath>
#include <optional>
#include <stdexcept>

#include "algorithm/run_support.hpp"
#include "moo/algorithm/checkpoint.hpp"
#include "moo/algorithm/evolver.hpp"
#include "moo/algorithm/nsga2.hpp"
#include "moo/execution/thread_pool.hpp"
#include "moo/genome/real.hpp"
#include "moo/problems/zdt.hpp"
#include "moo/selection/nondominated.hpp"
#include "moo/selection/nsga2.hpp"
#include "moo/variation/sbx_pm.hpp"

namespace {

// "Training" halves the first gene; the objectives are ZDT1's of the trained genome.
struct halving_zdt1 {
  using genome_type = moo::real_genome;
  moo::real_space space() const { return moo::zdt1{10}.space(); }
  std::size_t num_objectives() const { return 2; }
  void evaluate(moo::real_genome& x, std::span<double> out) const {
    x[0] *= 0.5;
    moo::zdt1{10}.evaluate(x, out);
  }
};

// Throws for genomes whose second gene is above 0.8 ("training diverged").
struct fragile_zdt1 {
  using genome_type = moo::real_genome;
  moo::real_space space() const { return moo::zdt1{10}.space(); }
  std::size_t num_objectives() const { return 2; }
  void evaluate(moo::real_genome& x, std::span<double> out) const {
    if (x[1] > 0.8) throw std::runtime_error("diverged");
    moo::zdt1{10}.evaluate(x, out);
  }
};

// Perturbs one gene; declines one time in four.
struct jiggle {
  std::optional<moo::real_genome> operator()(const moo::real_space& s, const moo::real_genome& p, moo::rng& r) const {
    if (r.uniform() < 0.25) return std::nullopt;
    auto c = p;
    const auto i = static_cast<std::size_t>(r.index(c.size()));
    c[i] = std::clamp(c[i] + r.normal(0.0, 0.1), s.lower[i], s.upper[i]);
    return c;
  }
};

// Keeps every other candidate.
struct every_other {
  template <class G>
  std::vector<std::size_t> screen(const moo::population_view<G>& pop, std::span<const G> c, moo::rng&) const {
    CHECK(pop.size() > 0);
    std::vector<std::size_t> keep;
    for (std::size_t i = 0; i < c.size(); i += 2) keep.push_back(i);
    return keep;
  }
};

// A broken screening (index past the candidates).
struct out_of_range {
  template <class G>
  std::vector<std::size_t> screen(const moo::population_view<G>&, std::span<const G> c, moo::rng&) const {
    return {c.size()};
  }
};

// A broken survival policy (index past the merged set).
struct bad_survival {
  moo::survivors survive(const moo::matrix& f, std::size_t k, moo::rng&) const {
    moo::survivors s;
    for (std::size_t i = 0; i < k; ++i) {
      s.index.push_back(f.rows() + i);
      s.rank.push_back(0);
      s.score.push_back(0.0);
    }
    return s;
  }
};

// Counts on_rejected calls.
struct rejections {
  std::size_t* count;
  template <class State>
  void on_rejected(const State&, const moo::real_genome&, const std::string& why) {
    CHECK(why.find("diverged") != std::string::npos);
    ++*count;
  }
};

using mutating = moo::evolver<jiggle, moo::nsga2_survival>;

}  // namespace

static_assert(moo::lamarckian_problem<halving_zdt1>);
static_assert(!moo::lamarckian_problem<moo::zdt1>);
static_assert(moo::plain_problem<moo::zdt1>);
static_assert(moo::mutation<jiggle, moo::real_space>);
static_assert(!moo::variation<jiggle, moo::real_space>);
static_assert(moo::screening<every_other, moo::real_genome>);
static_assert(moo::screening<moo::keep_all, moo::real_genome>);
static_assert(!moo::screening<jiggle, moo::real_genome>);
static_assert(moo::lamarckian_executor<moo::sequential_executor, halving_zdt1>);
static_assert(moo::lamarckian_executor<moo::thread_pool_executor, halving_zdt1>);
static_assert(!moo::executor<moo::sequential_executor, halving_zdt1>);
static_assert(moo::executor<moo::sequential_executor, moo::zdt1>);
static_assert(!moo::lamarckian_executor<moo::sequential_executor, moo::zdt1>);


TEST_CASE("lamarckian: the evaluated genome, not the asked one, joins the population") {
  INFO("seed 3");
  const halving_zdt1 p;
  const auto res = mutating{{.population = 20, .generations = 10, .seed = 3}}.run(p);
  REQUIRE(res.genomes.size() == 20);
  std::vector<double> f(2);
  for (std::size_t i = 0; i < res.genomes.size(); ++i) {
    moo::zdt1{10}.evaluate(res.genomes[i], f);  // the stored genome reproduces its objectives
    CHECK(f[0] == res.objectives(i, 0));
    CHECK(f[1] == res.objectives(i, 1));
  }
  // Ask/tell with the evaluated genomes.
  auto state = mutating{{.population = 4, .seed = 1}}.start(p.space());
  auto batch = state.ask();
  moo::matrix obj(batch.size(), 2);
  for (std::size_t i = 0; i < batch.size(); ++i) p.evaluate(batch[i], obj.row(i));
  CHECK_THROWS_AS(state.tell(obj, std::vector<moo::real_genome>(batch.begin(), batch.begin() + 2)), moo::dimension_error);
  state.tell(obj, std::vector<moo::real_genome>(batch));
  for (const auto& g : state.genomes())
    CHECK(std::find(batch.begin(), batch.end(), g) != batch.end());
  // The thread pool evaluates in place too, with the same result.
  moo::thread_pool_executor pool{{.threads = 3}};
  run_test::check_identical(mutating{{.population = 20, .generations = 10, .seed = 3}}.run_on(pool, p), res);
}

TEST_CASE("lamarckian: resume from a checkpoint is bit-identical with a mutation") {
  INFO("seed 4");
  run_test::temp_dir dir("lamarckian");
  const halving_zdt1 p;
  const mutating algo{{.population = 16, .generations = 12, .seed = 4}};
  const auto whole = algo.run(p);
  const moo::checkpoint ck{.path = dir / "c.ckpt", .every = 1};
  (void)algo.run(p, moo::max_generations{5}, ck);
  run_test::check_identical(algo.resume(ck.path, p, moo::max_generations{12}, ck), whole);
}

TEST_CASE("mutation: a declined child leaves its slot empty; seeds come first; screening thins the batch") {
  INFO("seed 7");
  const moo::zdt1 p{10};
  auto state = moo::evolver<jiggle, moo::nsga2_survival, moo::binary_tournament, every_other>{
      {.population = 10, .offspring = 40, .seed = 7}}
                   .start(p.space(), {moo::real_genome(10, 0.25), moo::real_genome(10, 0.5)});
  const auto first = state.ask();
  REQUIRE(first.size() == 10);
  CHECK(first[0] == moo::real_genome(10, 0.25));
  CHECK(first[1] == moo::real_genome(10, 0.5));
  moo::matrix f(first.size(), 2);
  for (std::size_t i = 0; i < first.size(); ++i) p.evaluate(first[i], f.row(i));
  state.tell(f);
  const auto next = state.ask();
  // 40 candidates, about a quarter declined, every other one kept by the screening.
  CHECK(state.declined() > 0);
  CHECK(state.declined() < 40);
  CHECK(next.size() == (40 - state.declined() + 1) / 2);
  CHECK(state.screened_out() == 40 - state.declined() - next.size());
}

TEST_CASE("drop_failed: failed evaluations are dropped and reported, the run goes on") {
  INFO("seed 2");
  const fragile_zdt1 p;
  std::size_t count = 0;
  const mutating strict{{.population = 12, .generations = 3, .seed = 2}};
  CHECK_THROWS_AS(strict.run(p), moo::evaluation_error);
  const mutating lenient{{.population = 12, .generations = 3, .seed = 2, .drop_failed = true}};
  const auto res = lenient.run(p, rejections{&count});
  CHECK(count > 0);
  CHECK(res.generations == 3);
  for (const auto& g : res.genomes) CHECK(g[1] <= 0.8);
}

TEST_CASE("policies that return nonsense are refused by name") {
  const moo::zdt1 p{10};
  const moo::evolver<moo::sbx_pm, bad_survival> broken{{.population = 8, .seed = 1}};
  CHECK_THROWS_WITH_AS(broken.run(p), doctest::Contains("survival policy returned index"), moo::error);
  const moo::evolver<jiggle, moo::nondominated_survival> unbounded{{.generations = 2, .offspring = 20}};
  CHECK_THROWS_WITH_AS(unbounded.run(p), doctest::Contains("needs an initial size"), moo::value_error);
  auto state = moo::evolver<jiggle, moo::nsga2_survival, moo::binary_tournament, out_of_range>{
      {.population = 6, .seed = 1}}.start(p.space());
  const auto first = state.ask();
  moo::matrix f(first.size(), 2);
  for (std::size_t i = 0; i < first.size(); ++i) p.evaluate(first[i], f.row(i));
  state.tell(f);
  CHECK_THROWS_WITH_AS(state.ask(), doctest::Contains("screening policy returned index"), moo::error);
  // The failed ask changed nothing: the rng is where it was.
  CHECK(state.pending().empty());
}
