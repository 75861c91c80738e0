// Every searcher (an alias of the one evolver) can be driven step by step with ask/tell, giving the
// same result as run(), and every searcher resumes from a checkpoint bit-identical.
#include <doctest/doctest.h>

#include <cstdint>
#include <span>
#include <stdexcept>

#include "algorithm/run_support.hpp"
#include "moo/algorithm/nsga2.hpp"
#include "moo/execution/sequential.hpp"
#include "moo/problems/dtlz.hpp"
#include "moo/problems/zdt.hpp"
#if __has_include("moo/algorithm/agemoea.hpp")
#include "moo/algorithm/agemoea.hpp"
#endif
#if __has_include("moo/algorithm/moead.hpp")
#include "moo/algorithm/moead.hpp"
#endif
#if __has_include("moo/algorithm/nsga3.hpp")
#include "moo/algorithm/nsga3.hpp"
#endif
#if __has_include("moo/algorithm/random_search.hpp")
#include "moo/algorithm/random_search.hpp"
#endif

namespace {

struct crash {
  std::size_t g;
  void on_generation(const auto& s) const {
    if (s.generation() == g) throw std::runtime_error("simulated crash");
  }
};

}  // namespace

TEST_CASE_TEMPLATE_DEFINE("ask/tell drives a searcher step by step exactly like run()", Searcher, ask_tell) {
  const std::uint64_t seed = 14;
  MESSAGE("seed " << seed);
  const moo::dtlz2 problem{3};  // 15 = a Das-Dennis count in 3 objectives, as MOEA/D needs
  const Searcher algo{{.population = 15, .generations = 10, .seed = seed}};
  const auto expected = algo.run(problem);

  auto state = algo.start(problem.space());
  while (!state.initialized() || state.generation() < 10) {
    const auto& genomes = state.ask();
    REQUIRE(!genomes.empty());
    moo::matrix f(genomes.size(), problem.num_objectives());  // the user's own evaluation machinery
    for (std::size_t i = 0; i < genomes.size(); ++i) problem.evaluate(genomes[i], f.row(i));
    state.tell(f);
  }
  CHECK(state.evaluations() == expected.evaluations);
  CHECK(state.genomes() == expected.genomes);
  CHECK(state.objectives() == expected.objectives);
  CHECK(state.ranking().rank == expected.rank);
}

TEST_CASE_TEMPLATE_DEFINE("a searcher killed mid-run resumes from its checkpoint bit-identical", Searcher, resume) {
  const std::uint64_t seed = 15;
  MESSAGE("seed " << seed);
  run_test::temp_dir dir("searcher");
  const moo::dtlz2 problem{3};  // 15 = a Das-Dennis count in 3 objectives, as MOEA/D needs
  const Searcher algo{{.population = 15, .generations = 12, .seed = seed}};
  const auto expected = algo.run(problem);
  const moo::checkpoint ck{.path = dir / "run.ckpt", .every = 3};
  CHECK_THROWS(algo.run(problem, ck, crash{8}));
  run_test::check_identical(algo.resume(ck.path, problem, ck), expected);
}

TEST_CASE_TEMPLATE_INVOKE(ask_tell, moo::nsga2);
TEST_CASE_TEMPLATE_INVOKE(resume, moo::nsga2);
#if __has_include("moo/algorithm/agemoea.hpp")
TEST_CASE_TEMPLATE_INVOKE(ask_tell, moo::agemoea);
TEST_CASE_TEMPLATE_INVOKE(resume, moo::agemoea);
#endif
#if __has_include("moo/algorithm/moead.hpp")
TEST_CASE_TEMPLATE_INVOKE(ask_tell, moo::moead<>);
TEST_CASE_TEMPLATE_INVOKE(resume, moo::moead<>);
#endif
#if __has_include("moo/algorithm/nsga3.hpp")
TEST_CASE_TEMPLATE_INVOKE(ask_tell, moo::nsga3);
TEST_CASE_TEMPLATE_INVOKE(resume, moo::nsga3);
#endif
#if __has_include("moo/algorithm/random_search.hpp")
TEST_CASE_TEMPLATE_INVOKE(ask_tell, moo::random_search);
TEST_CASE_TEMPLATE_INVOKE(resume, moo::random_search);
#endif

TEST_CASE("ask/tell: a batch told with one objective too many is refused and can be told again") {
  const moo::nsga2 algo{{.population = 8, .seed = 1}};
  auto state = algo.start(moo::zdt1{}.space());
  const auto first = state.ask();
  state.tell(moo::sequential_executor{}.evaluate(moo::zdt1{}, std::span<const moo::real_genome>(first)));
  const auto batch = state.ask();
  CHECK_THROWS_AS(state.tell(moo::matrix(batch.size(), 3)), moo::dimension_error);
  CHECK(state.ask() == batch);
  state.tell(moo::sequential_executor{}.evaluate(moo::zdt1{}, std::span<const moo::real_genome>(batch)));
  CHECK(state.generation() == 1);
}
