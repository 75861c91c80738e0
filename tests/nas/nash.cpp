// NASH and successive halving as policies of the one evolve loop: the halving plan's arithmetic, that
// halving keeps exactly the better half (an oracle problem with known scores), that training in rounds
// continues bit for bit (also through serialization), that a killed NASH run resumes bit for bit, and
// that the default budget policy is the loop's original path.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <moo/algorithm/budget.hpp>
#include <moo/algorithm/nsga2.hpp>
#include <moo/execution/thread_pool.hpp>
#include <moo/problems/zdt.hpp>
#include "nas/common.hpp"
#include <nas/lemonade.hpp>
#include <nas/nash.hpp>
#include <nas/train/parallel.hpp>

namespace {

namespace nt = nas::train;

// An oracle for successive halving: genome k has the known error score[k]; evaluating it in rounds
// records every round it got.
struct oracle_genome {
  std::size_t key = 0;
  std::vector<moo::budget_round> rounds;
  double spent() const {
    double s = 0.0;
    for (const auto& r : rounds) s += r.budget;
    return s;
  }
  bool operator<(const oracle_genome& o) const { return key < o.key; }
};

struct oracle_space {
  using genome_type = oracle_genome;
  oracle_genome sample(moo::rng&) const { return {}; }
};

struct oracle_problem {
  using genome_type = oracle_genome;
  std::vector<double> score;
  std::size_t fail_key = 99;  // this genome's second round throws
  std::size_t num_objectives() const { return 2; }
  oracle_space space() const { return {}; }
  void evaluate(oracle_genome& g, std::span<double> out) const {
    g.rounds.push_back({});
    out[0] = score[g.key];
    out[1] = 0.0;
  }
  void evaluate(oracle_genome& g, const moo::budget_round& r, std::span<double> out) const {
    if (g.key == fail_key && g.rounds.size() == 1) throw std::runtime_error("oracle: planned failure");
    g.rounds.push_back(r);
    out[0] = score[g.key];
    out[1] = g.spent();
  }
};

// A Lamarckian problem without rounds.
struct no_rounds_problem {
  using genome_type = oracle_genome;
  std::size_t num_objectives() const { return 1; }
  oracle_space space() const { return {}; }
  void evaluate(oracle_genome&, std::span<double> out) const { out[0] = 0.0; }
};

struct not_a_budget {
  int evaluate = 0;
};

using small_problem = nas::network_problem<nas::validation_error, nas::parameter_count>;

std::string bytes_of(const auto& x) {
  std::ostringstream os(std::ios::binary);
  moo::io::write(os, x);
  return os.str();
}

using nas_test::fixture;
using nas_test::fingerprint;

nas::nash_options tiny(std::uint64_t seed, std::string_view variant) {
  nas::nash_options o{.steps = 3,
                      .neighbours = 4,
                      .morphisms = 2,
                      .step_epochs = 2.0,
                      .pretrain_epochs = 1.0,
                      .seed = seed,
                      .caps = {.max_parameters = 20000},
                      .input = {1, 12, 12},
                      .classes = 4,
                      .widths = {4, 6, 8},
                      .training = {.batch_size = 32, .lr = 0.05, .seed = seed}};
  nas::set_variant(o, variant);
  return o;
}

// An executor that fails (as a kill would stop the process) at its n-th call: inside a step's rounds.
struct dying_executor {
  moo::sequential_executor inner;
  std::size_t calls_left;
  template <class P>
  moo::matrix evaluate(const P& p, std::span<moo::genome_of<P>> xs) {
    if (calls_left-- == 0) throw std::runtime_error("killed");
    return inner.evaluate(p, xs);
  }
};

}  // namespace

// Conformance of the new extension points, both ways.
static_assert(moo::resumable_problem<oracle_problem>);
static_assert(moo::resumable_problem<small_problem>);
static_assert(!moo::resumable_problem<no_rounds_problem>);
static_assert(!moo::resumable_problem<moo::zdt1>);
static_assert(moo::budget_allocation<moo::equal_budget, moo::sequential_executor, moo::zdt1>);
static_assert(moo::budget_allocation<moo::equal_budget, moo::thread_pool_executor, small_problem>);
static_assert(moo::budget_allocation<moo::successive_halving, moo::sequential_executor, oracle_problem>);
static_assert(moo::budget_allocation<moo::successive_halving, moo::thread_pool_executor, small_problem>);
static_assert(!moo::budget_allocation<moo::successive_halving, moo::sequential_executor, moo::zdt1>);
static_assert(!moo::budget_allocation<moo::successive_halving, moo::sequential_executor, no_rounds_problem>);
static_assert(!moo::budget_allocation<not_a_budget, moo::sequential_executor, oracle_problem>);
static_assert(moo::survival<moo::generational_best>);
static_assert(moo::io::stateful<moo::generational_best>);
static_assert(moo::mutation<nas::nash_mutation, nas::network_space>);
static_assert(moo::io::stateful<nas::nash_mutation>);

TEST_CASE("successive halving: the plan for 8 genomes and 160 epochs, and other sizes") {
  const moo::successive_halving sh{.budget = 160.0};
  const auto p = sh.plan(8);
  REQUIRE(p.size() == 3);  // log2(8) rounds, each spending 160 / 3 epochs
  CHECK(p[0].genomes == 8);
  CHECK(p[0].budget == doctest::Approx(160.0 / 24.0));  // 6.67 epochs each
  CHECK(p[1].genomes == 4);
  CHECK(p[1].budget == doctest::Approx(160.0 / 12.0));  // 13.33, doubled
  CHECK(p[2].genomes == 2);
  CHECK(p[2].budget == doctest::Approx(160.0 / 6.0));   // 26.67, doubled
  double total = 0.0;
  for (const auto& r : p) total += static_cast<double>(r.genomes) * r.budget;
  CHECK(total == doctest::Approx(160.0));
  const auto five = sh.plan(5);  // ceil halvings: 5, 3, 2
  REQUIRE(five.size() == 3);
  CHECK(five[0].genomes == 5);
  CHECK(five[1].genomes == 3);
  CHECK(five[2].genomes == 2);
  CHECK(five[2].budget == doctest::Approx(160.0 / 6.0));
  const auto one = sh.plan(1);
  REQUIRE(one.size() == 1);
  CHECK(one[0].budget == 160.0);
  CHECK(sh.plan(2).size() == 1);
  CHECK_THROWS_AS(moo::successive_halving{}.plan(4), moo::value_error);
}

TEST_CASE("successive halving drops exactly the worse half by the ranked objective (oracle scores)") {
  // Errors of genomes 0..7; the ranking is 3, 6, 0, 5 | 7, 1 | 4, 2 (ties to the earlier genome).
  const oracle_problem p{.score = {0.30, 0.50, 0.80, 0.10, 0.60, 0.40, 0.20, 0.40}};
  for (const bool restart : {false, true}) {
    INFO("restart " << restart);
    std::vector<oracle_genome> xs(8);
    for (std::size_t k = 0; k < 8; ++k) xs[k].key = k;
    moo::sequential_executor ex;
    const moo::successive_halving sh{.budget = 160.0, .restart = restart};
    const auto f = sh.evaluate(ex, p, std::span<oracle_genome>(xs));
    const double b0 = 160.0 / 24, b1 = 160.0 / 12, b2 = 160.0 / 6;
    // Rounds taken: 3 and 6 three, 0 and 5 two, the rest one.
    const std::vector<std::size_t> expect_rounds{2, 1, 1, 3, 1, 2, 3, 1};
    for (std::size_t k = 0; k < 8; ++k) {
      INFO("genome " << k);
      REQUIRE(xs[k].rounds.size() == expect_rounds[k]);
      CHECK(xs[k].rounds[0].budget == doctest::Approx(b0));
      if (expect_rounds[k] > 1) CHECK(xs[k].rounds[1].budget == doctest::Approx(b1));
      if (expect_rounds[k] > 2) CHECK(xs[k].rounds[2].budget == doctest::Approx(b2));
      for (std::size_t r = 0; r < xs[k].rounds.size(); ++r) {
        CHECK(xs[k].rounds[r].restart == (restart || r == 0));
        CHECK(xs[k].rounds[r].horizon == doctest::Approx(restart ? xs[k].rounds[r].budget : b0 + b1 + b2));
      }
      CHECK(f(k, 0) == p.score[k]);
      CHECK(f(k, 1) == doctest::Approx(xs[k].spent()));  // objectives as they stood after its last round
    }
    double total = 0.0;
    for (const auto& x : xs) total += x.spent();
    CHECK(total == doctest::Approx(160.0));
  }
  // A genome whose second round fails is dropped from the rounds and reported for the whole batch.
  oracle_problem failing = p;
  failing.fail_key = 6;
  std::vector<oracle_genome> xs(8);
  for (std::size_t k = 0; k < 8; ++k) xs[k].key = k;
  moo::sequential_executor ex;
  try {
    (void)moo::successive_halving{.budget = 160.0}.evaluate(ex, failing, std::span<oracle_genome>(xs));
    FAIL("no evaluation_error");
  } catch (const moo::evaluation_error& e) {
    REQUIRE(e.failures().size() == 1);
    CHECK(e.failures()[0].index == 6);
    CHECK(e.objectives().size() == 16);
    CHECK(xs[3].rounds.size() == 3);  // the best went on to the end
    CHECK(xs[0].rounds.size() == 3);  // 6's place in the last round went to the next best
  }
}

TEST_CASE("training in rounds continues bit for bit, also through serialization") {
  nt::set_num_threads(1);
  fixture d;
  moo::rng r(8);
  nas::network_space space({.input = {1, 12, 12}, .classes = 4, .widths = {6}, .min_blocks = 2, .max_blocks = 2});
  const nas::candidate fresh = space.sample(r);
  const nas::training_options o{.batch_size = 32, .lr = 0.05, .seed = 3};
  // 192 images in batches of 32: 6 steps per epoch; rounds of 0.5 and 1.0 epochs cross an epoch's end.
  const moo::budget_round first{.budget = 0.5, .horizon = 1.5, .restart = true};
  const moo::budget_round second{.budget = 1.0, .horizon = 1.5, .restart = false};

  nas::candidate a = fresh;  // two rounds in one process
  nas::train_candidate(a, d.train, o, first);
  CHECK(a.training.step == 3);
  CHECK(a.training.steps == 9);
  CHECK_FALSE(a.training.momentum.empty());
  nas::train_candidate(a, d.train, o, second);

  nas::candidate b = fresh;  // the first round, then serialized and read back, then the second
  nas::train_candidate(b, d.train, o, first);
  std::istringstream is(bytes_of(b), std::ios::binary);
  nas::candidate b2 = moo::io::read<nas::candidate>(is);
  CHECK(b2.training == b.training);
  nas::train_candidate(b2, d.train, o, second);

  nas::candidate c = fresh;  // one round of both budgets on the same schedule
  nas::train_candidate(c, d.train, o, {.budget = 1.5, .horizon = 1.5, .restart = true});

  CHECK(bytes_of(a) == bytes_of(b2));
  CHECK(bytes_of(a.net) == bytes_of(c.net));
  CHECK(a.training == c.training);
  CHECK(a.epochs == 1.5);

  nas::candidate restarted = fresh;  // a learning-rate restart at the second round trains differently
  nas::train_candidate(restarted, d.train, o, first);
  nas::train_candidate(restarted, d.train, o, {.budget = 1.0, .horizon = 1.0, .restart = true});
  CHECK(bytes_of(restarted.net) != bytes_of(a.net));
}

TEST_CASE("nash: morphed neighbours, the parent among them, layer types") {
  moo::rng r(3);
  auto net = nas::vanilla_network({1, 12, 12}, 4, {4, 6, 8}, r);
  const auto t = nas::count_layer_types(net);
  CHECK(t.conv == 3);
  CHECK(t.merging == 0);
  CHECK(t.separable == 0);
  auto sep = nas::morphism::sampler_from_names({"insert_separable_block"})(net, r);
  REQUIRE(sep.has_value());
  const auto ts = nas::count_layer_types(sep->child);
  CHECK(ts.conv == 3);
  CHECK(ts.separable == 1);
  nas::nash_mutation m{.sampler = nas::morphism::sampler_from_names(nas::nash_operators(false)), .morphisms = 3,
                       .neighbours = 4};
  const nas::candidate parent{.net = net, .id = 5, .op = "initial"};
  nas::network_space space({.input = {1, 12, 12}, .classes = 4});
  for (int k = 0; k < 8; ++k) {
    auto c = m(space, parent, r);
    REQUIRE(c.has_value());
    CHECK(c->parent == 5);
    if (k % 4 == 0) {
      CHECK(c->op == "parent");
      CHECK(bytes_of(c->net) == bytes_of(net));
    } else {
      CHECK(std::count(c->op.begin(), c->op.end(), '+') <= 2);
      CHECK(c->op.find("separable") == std::string::npos);
    }
  }
  CHECK(nas::nash_operators(true).back() == "insert_separable_block");
  nas::nash_options o;
  CHECK_THROWS_AS(nas::set_variant(o, "nope"), moo::value_error);
}

TEST_CASE("nash: a killed run resumes bit for bit (equal budget and successive halving); report files") {
  nt::set_num_threads(1);
  fixture d;
  const auto dir = std::filesystem::temp_directory_path() / "moo_test_nash";
  for (const char* variant : {"nash", "shr"}) {
    const std::uint64_t seed = 7;
    INFO("variant " << variant << ", seed " << seed);
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    auto o = tiny(seed, variant);
    o.out = dir / "whole";
    o.test = &d.val;
    nas::nash search(o, &d.val);
    const auto problem = search.problem(d.train);
    const auto whole = search.run(problem);
    REQUIRE(whole.genomes.size() == 1);
    CHECK(whole.generations == 3);
    CHECK(whole.objectives(0, 0) == nas::validation_error{.data = &d.val}(whole.genomes[0].net));  // Lamarckian
    CHECK(whole.objectives(0, 1) == static_cast<double>(whole.genomes[0].net.parameter_count()));

    // steps.csv: the start network and 3 steps; every step spends its 2 epochs on 4 neighbours.
    std::ifstream steps(dir / "whole" / "steps.csv");
    std::string line;
    std::vector<std::string> lines;
    while (std::getline(steps, line)) lines.push_back(line);
    REQUIRE(lines.size() == 5);
    CHECK(lines[0].rfind("step,parent,operators,", 0) == 0);
    CHECK(lines[2].find(":parent:") != std::string::npos);
    CHECK(std::count(lines[2].begin(), lines[2].end(), ';') == 3);
    CHECK(std::filesystem::exists(dir / "whole" / "summary.csv"));

    // Killed inside the second step (during its rounds), resumed from the checkpoint of the first.
    o.out = dir / "killed";
    nas::nash killed_search(o, &d.val);
    const moo::checkpoint ck{.path = dir / "run.ckpt", .every = 1};
    dying_executor dying{{}, std::string_view(variant) == "nash" ? 2u : 3u};
    CHECK_THROWS_AS((void)killed_search.run_on(dying, problem, ck), std::runtime_error);
    moo::thread_pool_executor pool{{.threads = 2}};
    const auto resumed = killed_search.resume_on(ck.path, pool, problem, ck);
    CHECK(resumed.generations == 3);
    CHECK(fingerprint(resumed) == fingerprint(whole));
    std::ifstream a(dir / "whole" / "steps.csv"), b(dir / "killed" / "steps.csv");
    std::stringstream sa, sb;
    sa << a.rdbuf();
    sb << b.rdbuf();
    CHECK(sa.str() == sb.str());
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("the equal budget policy is the loop's original path: one executor call per batch") {
  // NSGA-II through evolver::run (default budget) equals ask/tell with one executor call per batch.
  moo::nsga2 algo{{.population = 20, .generations = 5, .seed = 3}};
  const moo::zdt1 p;
  const auto res = algo.run(p);
  auto state = algo.start(p);
  moo::sequential_executor ex;
  const moo::equal_budget equal;
  while (!state.initialized() || state.generation() < 5) {
    const auto& batch = state.ask();
    state.tell(equal.evaluate(ex, p, std::span<const std::vector<double>>(batch)));
  }
  CHECK(bytes_of(res.objectives) == bytes_of(state.objectives()));
  CHECK(res.genomes == state.genomes());
}

TEST_CASE("lemonade with successive halving of its accepted children") {
  nt::set_num_threads(1);
  fixture d;
  nas::lemonade search({.generations = 2, .children = 6, .accepted = 4, .initial = 2, .seed = 3,
                        .caps = {.max_parameters = 20000},
                        .space = {.input = {1, 12, 12}, .classes = 4, .widths = {4, 6}, .min_blocks = 1, .max_blocks = 2},
                        .training = {.epochs = 0.5, .initial_epochs = 1.0, .batch_size = 32, .seed = 3}},
                       nas::validation_error{.data = &d.val}, nas::parameter_count{});
  const auto problem = search.problem(d.train);
  const auto e = search.evolver(moo::successive_halving{.budget = 2.0});  // 4 accepted: 4 x 0.25, 2 x 0.5
  const auto res = e.run(problem);
  CHECK(res.generations == 2);
  REQUIRE(!res.genomes.empty());
  for (std::size_t i = 0; i < res.genomes.size(); ++i) {
    CHECK(res.objectives(i, 0) == nas::validation_error{.data = &d.val}(res.genomes[i].net));
    if (res.genomes[i].parent != 0) CHECK(res.genomes[i].training.steps > 0);  // trained in rounds
  }
  const auto again = search.evolver(moo::successive_halving{.budget = 2.0}).run(problem);
  CHECK(fingerprint(again) == fingerprint(res));
}
