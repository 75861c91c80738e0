// LEMONADE end to end on a small generated data set: the policies compose, the population is the
// non-dominated set of trained networks (Lamarckian: the stored weights give the stored error), a
// resumed run equals an uninterrupted one bit for bit, and parallel training equals sequential.
#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <limits>
#include <sstream>
#include <atomic>
#include <fstream>
#include <thread>

#include <unistd.h>
#include <algorithm>

#include <moo/execution/thread_pool.hpp>
#include <moo/pareto/dominance.hpp>
#include <nas/lemonade.hpp>
#include "nas/common.hpp"
#include <nas/search/baselines.hpp>
#include <nas/search/report.hpp>
#include <nas/train/parallel.hpp>

namespace {

namespace nt = nas::train;

using nas_test::fixture;
using nas_test::fingerprint;

nas::lemonade_options tiny(std::uint64_t seed) {
  return {.generations = 2,
          .children = 6,
          .accepted = 2,
          .initial = 2,
          .seed = seed,
          .caps = {.max_parameters = 20000},
          .space = {.input = {1, 12, 12}, .classes = 4, .widths = {4, 6}, .min_blocks = 1, .max_blocks = 2},
          .training = {.epochs = 0.5, .initial_epochs = 1.0, .batch_size = 32, .lr = 0.05,
                       .distill = {.epochs = 0, .max_steps = 3, .batch_size = 32}, .seed = seed}};
}

}  // namespace

static_assert(moo::lamarckian_problem<nas::network_problem<nas::validation_error, nas::parameter_count>>);
static_assert(!moo::plain_problem<nas::network_problem<nas::validation_error, nas::parameter_count>>);
static_assert(moo::mutation<nas::morphism_mutation, nas::network_space>);
static_assert(!moo::variation<nas::morphism_mutation, nas::network_space>);
static_assert(moo::search_space<nas::network_space>);
static_assert(moo::cheap_objectives<nas::cheap_objectives_of<nas::validation_error, nas::parameter_count, nas::mac_count>,
                                    nas::candidate>);
static_assert(nas::cheap_objectives_of<nas::validation_error, nas::parameter_count, nas::mac_count>::count == 2);
static_assert(moo::lamarckian_executor<moo::thread_pool_executor, nas::network_problem<nas::parameter_count>>);
static_assert(!moo::executor<moo::thread_pool_executor, nas::network_problem<nas::parameter_count>>);
static_assert(moo::io::serializable<nas::candidate>);

TEST_CASE("lemonade: a tiny run keeps a non-dominated population of trained networks") {
  nt::set_num_threads(1);
  fixture d;
  const std::uint64_t seed = 11;
  INFO("seed " << seed);
  nas::lemonade search(tiny(seed), nas::validation_error{.data = &d.val}, nas::parameter_count{}, nas::mac_count{});
  const auto problem = search.problem(d.train);
  CHECK(problem.names() == std::vector<std::string>{"error", "params", "macs"});
  const auto res = search.run(problem);
  CHECK(res.generations == 2);
  // 2 starting networks, then at most 2 trained children per generation.
  CHECK(res.evaluations >= 3);
  CHECK(res.evaluations <= 2 + 2 * 2);
  REQUIRE(!res.genomes.empty());
  for (std::size_t i = 0; i < res.genomes.size(); ++i) {
    const auto& c = res.genomes[i];
    // Lamarckian: the stored network is the trained one: its objectives are reproduced from it.
    CHECK(res.objectives(i, 0) == nas::validation_error{.data = &d.val}(c.net));
    CHECK(res.objectives(i, 1) == static_cast<double>(c.net.parameter_count()));
    CHECK(res.objectives(i, 2) == static_cast<double>(c.net.macs()));
    CHECK(c.epochs > 0.0);
    CHECK_FALSE(c.teacher.has_value());  // distilled and dropped
    CHECK(c.net.parameter_count() <= 20000);
    for (std::size_t j = 0; j < res.genomes.size(); ++j)
      CHECK_FALSE(moo::dominates(res.objectives.row(j), res.objectives.row(i)));
    if (c.parent != 0) {
      const auto names = nas::morphism::operator_names();
      CHECK(std::find(names.begin(), names.end(), c.op) != names.end());
    } else {
      CHECK(c.op == "initial");
    }
  }
}

TEST_CASE("lemonade: resume from a checkpoint equals the uninterrupted run, and the thread pool equals sequential") {
  nt::set_num_threads(1);
  fixture d;
  const std::uint64_t seed = 5;
  INFO("seed " << seed);
  auto o = tiny(seed);
  o.generations = 3;
  nas::lemonade search(o, nas::validation_error{.data = &d.val}, nas::parameter_count{});
  const auto problem = search.problem(d.train);
  const auto whole = search.run(problem);

  const auto dir = std::filesystem::temp_directory_path() / "moo_test_lemonade_resume";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const moo::checkpoint ck{.path = dir / "run.ckpt", .every = 1};
  // Stop after one generation (as a kill would), then resume to three.
  (void)search.run(problem, moo::max_generations{1}, ck);
  moo::thread_pool_executor pool{{.threads = 2}};
  const auto resumed = search.resume_on(ck.path, pool, problem, moo::max_generations{3}, ck);
  CHECK(resumed.generations == 3);
  CHECK(fingerprint(resumed) == fingerprint(whole));

  const auto parallel = search.run_on(pool, problem);
  CHECK(fingerprint(parallel) == fingerprint(whole));
  std::filesystem::remove_all(dir);
}

TEST_CASE("lemonade: seeds join the first batch; the report writes its files") {
  nt::set_num_threads(1);
  fixture d;
  const std::uint64_t seed = 2;
  INFO("seed " << seed);
  auto o = tiny(seed);
  o.generations = 1;
  o.initial = 1;
  nas::lemonade search(o, nas::validation_error{.data = &d.val}, nas::parameter_count{}, nas::mac_count{});
  const auto problem = search.problem(d.train);
  moo::rng r(9);
  nas::candidate mine{.net = problem.space().trivial(5, 1, r), .id = 77, .op = "initial"};
  const auto dir = std::filesystem::temp_directory_path() / "moo_test_lemonade_report";
  std::filesystem::remove_all(dir);
  nas::search_report report{.out = dir, .names = problem.names(), .print = false, .plot = false};
  const auto res = search.run(problem, moo::initial_genomes<nas::candidate>{{mine}}, report);
  CHECK(res.evaluations >= 1);
  std::ifstream h(dir / "history.csv");
  std::string header, first;
  std::getline(h, header);
  std::getline(h, first);
  CHECK(header == "generation,id,parent,operator,error,params,macs,epochs");
  CHECK(first.rfind("0,0000004d,00000000,initial,", 0) == 0);  // the seed (id 77) was trained first
  const auto err = nas::export_front(dir, res, problem.names(), &d.val, {.latency = {.warmup = 1, .repeats = 3}, .drawings = false});
  CHECK(err.size() == res.genomes.size());
  for (std::size_t i = 0; i < err.size(); ++i) CHECK(err[i] == res.objectives(i, 0));  // same data: same error
  for (const char* f : {"front.csv", "front.json", "index.html", "fronts.dat"}) CHECK(std::filesystem::exists(dir / f));
  CHECK(std::filesystem::exists(dir / "nets" / (nas::hex_id(res.genomes[0].id) + ".weights")));
  std::filesystem::remove_all(dir);
}

TEST_CASE("lemonade: function-preserving children start with their parent's accuracy (inheritance)") {
  nt::set_num_threads(1);
  fixture d;
  moo::rng r(21);
  nas::network_space space({.input = {1, 12, 12}, .classes = 4, .widths = {6}, .min_blocks = 2, .max_blocks = 2});
  nas::candidate parent = space.sample(r);
  nas::train_candidate(parent, d.train, {.initial_epochs = 2.0, .batch_size = 32});
  const nas::validation_error err{.data = &d.val};
  const double pe = err(parent.net);
  nas::morphism_mutation m{nas::morphism::function_preserving_sampler()};
  for (int k = 0; k < 10; ++k) {
    auto c = m(space, parent, r);
    REQUIRE(c.has_value());
    INFO("operator " << c->op);
    CHECK(c->parent == parent.id);
    CHECK_FALSE(c->teacher.has_value());
    CHECK(err(c->net) == doctest::Approx(pe).epsilon(0.011));  // at most one of 96 images flips
  }
  nas::morphism_mutation approx{nas::morphism::sampler_from_names({"shrink_conv"})};
  auto c = approx(space, parent, r);
  REQUIRE(c.has_value());
  CHECK(c->teacher.has_value());
  CHECK_FALSE(c->function_preserving);
}

TEST_CASE("lemonade: bad input gets clear errors; a diverging child is refused by name") {
  nt::set_num_threads(1);
  fixture d;
  CHECK_THROWS_AS(nas::morphism::sampler_from_names({"widen_conv", "nope"}), moo::value_error);
  const auto all = nas::morphism::operator_names();
  CHECK(all.size() == 10);
  CHECK(nas::morphism::sampler_from_names(all).names() == all);
  CHECK_THROWS_AS(nas::morphism::sampler_from_names({"widen_conv", "widen_conv"}), moo::value_error);
  CHECK_THROWS_AS(nas::lemonade(nas::lemonade_options{.accepted = 0}, nas::parameter_count{}), moo::value_error);
  CHECK_THROWS_AS(nas::lemonade(nas::lemonade_options{}, nas::validation_error{}), moo::value_error);
  moo::rng r(4);
  nas::network_space space({.input = {1, 12, 12}, .classes = 4});
  nas::candidate c = space.sample(r);
  try {
    nas::train_candidate(c, d.train, {.initial_epochs = 1.0, .batch_size = 32, .lr = 1e30, .momentum = 0.0});
    FAIL("training with lr 1e30 did not diverge");
  } catch (const nas::training_diverged& e) {
    CHECK(std::string(e.what()).find(nas::hex_id(c.id)) != std::string::npos);
  }
}

TEST_CASE("lemonade: a candidate round-trips through the serializer bit for bit") {
  moo::rng r(8);
  nas::network_space space({.input = {1, 12, 12}, .classes = 4});
  nas::candidate c = space.sample(r);
  c.parent = 3;
  c.op = "widen_conv";
  c.epochs = 1.5;
  c.teacher = space.sample(r).net;
  std::stringstream ss(std::ios::in | std::ios::out | std::ios::binary);
  moo::io::write(ss, c);
  const std::string bytes = ss.str();
  const auto back = moo::io::read<nas::candidate>(ss);
  std::stringstream again(std::ios::in | std::ios::out | std::ios::binary);
  moo::io::write(again, back);
  CHECK(again.str() == bytes);
  CHECK(back.id == c.id);
  CHECK(back.teacher.has_value());
  std::istringstream cut(bytes.substr(0, bytes.size() / 2), std::ios::binary);
  CHECK_THROWS_AS(moo::io::read<nas::candidate>(cut), moo::io_error);
}

TEST_CASE("measurement_gate: a measurement waits for trainings and excludes new ones") {
  nas::measurement_gate gate;
  std::atomic<int> training{0};
  std::atomic<bool> overlap{false};
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      for (int k = 0; k < 200; ++k) {
        if ((k + t) % 5 == 0) {
          gate.lock();
          if (training.load() != 0) overlap = true;
          gate.unlock();
        } else {
          gate.lock_shared();
          ++training;
          --training;
          gate.unlock_shared();
        }
      }
    });
  for (auto& t : ts) t.join();
  CHECK_FALSE(overlap.load());
}

TEST_CASE("baselines: reinitialise keeps the architecture and forgets the weights; uniform screening") {
  moo::rng r(13);
  nas::network_space space({.input = {1, 12, 12}, .classes = 4});
  nas::candidate c = space.sample(r);
  const auto before = nas::graph::to_json(c.net);
  const auto weights = nas::graph::weights_to_bytes(c.net);
  nas::reinitialise(c.net, r);
  CHECK(nas::graph::to_json(c.net) == before);
  CHECK(nas::graph::weights_to_bytes(c.net) != weights);
  nas::scratch_mutation m{nas::morphism_mutation{nas::morphism::sampler_from_names({"shrink_conv"})}};
  c.epochs = 2.0;
  const auto child = m(space, c, r);
  REQUIRE(child.has_value());
  CHECK_FALSE(child->teacher.has_value());
  CHECK(child->epochs == 0.0);
  const nas::uniform_screening u{.accept = 3};
  const std::vector<int> cand(10);
  const moo::matrix f;
  const moo::survivors s;
  const moo::population_view<int> view{std::span<const int>(), f, s};
  for (int k = 0; k < 20; ++k) {
    const auto keep = u.screen(view, std::span<const int>(cand), r);
    REQUIRE(keep.size() == 3);
    CHECK(std::is_sorted(keep.begin(), keep.end()));
    CHECK(std::adjacent_find(keep.begin(), keep.end()) == keep.end());
    CHECK(keep.back() < 10);
  }
  CHECK(u.screen(view, std::span<const int>(cand).first(2), r).size() == 2);
}

TEST_CASE("lemonade: measured latency as an objective, timed alone while other children train") {
  nt::set_num_threads(1);
  fixture d;
  auto o = tiny(6);
  o.generations = 2;
  nas::lemonade search(o, nas::validation_error{.data = &d.val}, nas::parameter_count{},
                       nas::measured_latency{.batch = 1, .options = {.warmup = 1, .repeats = 3}});
  const auto problem = search.problem(d.train);
  CHECK(problem.names() == std::vector<std::string>{"error", "params", "latency"});
  moo::thread_pool_executor pool{{.threads = 3}};
  const auto res = search.run_on(pool, problem);
  CHECK(res.generations == 2);
  for (std::size_t i = 0; i < res.genomes.size(); ++i) {
    CHECK(res.objectives(i, 2) > 0.0);
    CHECK(res.objectives(i, 2) < 1.0);
  }
}

namespace {
// An expensive objective of the user's that fails on some networks (as a diverging training would).
struct picky_error {
  static constexpr bool cheap = false;
  static constexpr std::string_view name = "picky";
  const nt::dataset* data = nullptr;
  double operator()(const nas::graph::architecture& a) const {
    if (a.parameter_count() % 3 == 0) throw nas::training_diverged("loss is nan (picky_error)");
    return nas::validation_error{.data = data}(a);
  }
};
}  // namespace

TEST_CASE("lemonade: a child that fails is dropped with its reason, the run goes on, nothing is lost") {
  nt::set_num_threads(1);
  fixture d;
  auto o = tiny(17);
  o.generations = 4;
  o.initial = 4;
  nas::lemonade search(o, picky_error{.data = &d.val}, nas::parameter_count{});
  const auto problem = search.problem(d.train);
  const auto dir = std::filesystem::temp_directory_path() / "moo_test_lemonade_rejected";
  std::filesystem::remove_all(dir);
  nas::search_report report{.out = dir, .names = problem.names(), .print = false, .plot = false};
  const auto res = search.run(problem, report);
  CHECK(res.generations == 4);
  for (const auto& c : res.genomes) CHECK(c.net.parameter_count() % 3 != 0);
  std::ifstream f(dir / "rejected.csv");
  std::string line;
  std::size_t rejected = 0;
  std::getline(f, line);
  while (std::getline(f, line)) {
    CHECK(line.find("picky_error") != std::string::npos);
    ++rejected;
  }
  MESSAGE(rejected, " children rejected, ", res.evaluations, " evaluated");
  CHECK(rejected > 0);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a resumed search report refuses a damaged history file with an io_error (fuzz finding), not std::stoull's") {
  const auto dir = std::filesystem::temp_directory_path() / ("moo_report_trim_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "history.csv";
  moo::io::write_atomically(file, "generation,id\n0,a\n1,b\n2,c\n");
  nas::detail::trim_csv(file, 1);
  CHECK(moo::io::read_file(file) == "generation,id\n0,a\n1,b\n");
  for (const char* bad : {"generation,id\nx,a\n", "generation,id\n99999999999999999999999,a\n"}) {
    moo::io::write_atomically(file, bad);
    CHECK_THROWS_WITH_AS(nas::detail::trim_csv(file, 1), doctest::Contains("history.csv"), moo::io_error);
  }
  std::filesystem::remove_all(dir);
}
