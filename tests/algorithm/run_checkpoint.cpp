// Checkpoint/resume of whole runs: a run aborted at any generation (or by a failed evaluation) and
// resumed from its checkpoint ends bit-identical to an uninterrupted run with the same seed; the state
// of policies, terminations and callbacks with save/load hooks travels with it.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <filesystem>
#include <istream>
#include <ostream>
#include <span>
#include <stdexcept>
#include <tuple>
#include <vector>

#include "support.hpp"
#include "algorithm/run_support.hpp"
#include "moo/algorithm/evolver.hpp"
#include "moo/algorithm/nsga2.hpp"
#include "moo/algorithm/termination.hpp"
#include "moo/genome/integer.hpp"
#include "moo/io/checkpoint.hpp"
#include "moo/problems/zdt.hpp"
#include "moo/selection/nsga2.hpp"
#if __has_include("moo/algorithm/moead.hpp")
#include "moo/algorithm/moead.hpp"
#define MOO_TEST_HAS_MOEAD 1
#endif

namespace {

using run_test::check_identical;
using run_test::temp_dir;

// Thrown by `crash_at` to simulate a process dying after generation g.
struct simulated_crash {};

// A callback that "kills" the run right after generation g completes (before its checkpoint).
struct crash_at {
  std::size_t g;
  void on_generation(const auto& s) const {
    if (s.generation() == g) throw simulated_crash{};
  }
};

using test_support::stop_at;

// NSGA-II survival that also counts its calls and, every third call, drops the crowding scores, so the
// count changes the run: it must come back from a checkpoint for a resumed run to stay identical.
struct counting_survival {
  moo::nsga2_survival inner{};
  std::size_t calls = 0;
  moo::survivors survive(const moo::matrix& f, std::size_t k, moo::rng& r) {
    auto s = inner.survive(f, k, r);
    if (++calls % 3 == 0) std::fill(s.score.begin(), s.score.end(), 0.0);
    return s;
  }
  void save(std::ostream& os) const { moo::io::write(os, calls); }
  void load(std::istream& is) { calls = moo::io::read<std::size_t>(is); }
};

// The same, but its load forgets the count: a resumed run must then differ (the test is sensitive).
struct forgetful_survival : counting_survival {
  void load(std::istream& is) { (void)moo::io::read<std::size_t>(is); }
};

// A callback keeping every non-dominated objective vector seen so far: an archive with save/load.
struct archive {
  std::vector<std::vector<double>> points;
  void on_generation(const auto& s) {
    for (std::size_t i = 0; i < s.objectives().rows(); ++i) add(s.objectives().row(i));
  }
  void add(std::span<const double> p) {
    auto dominates = [](std::span<const double> a, std::span<const double> b) {
      bool better = false;
      for (std::size_t j = 0; j < a.size(); ++j) {
        if (a[j] > b[j]) return false;
        better = better || a[j] < b[j];
      }
      return better;
    };
    for (const auto& q : points)
      if (dominates(q, p) || std::equal(q.begin(), q.end(), p.begin(), p.end())) return;
    std::erase_if(points, [&](const auto& q) { return dominates(p, q); });
    points.emplace_back(p.begin(), p.end());
  }
  void save(std::ostream& os) const { moo::io::write(os, points); }
  void load(std::istream& is) { points = moo::io::read<std::vector<std::vector<double>>>(is); }
};

// ZDT1 that throws from its `fail_at`-th evaluation on, until `heal` is set.
struct flaky : moo::zdt1 {
  std::size_t fail_at = 0;
  mutable std::size_t calls = 0;
  void evaluate(std::span<const double> x, std::span<double> f) const {
    if (++calls >= fail_at) throw std::runtime_error("node lost");
    moo::zdt1::evaluate(x, f);
  }
};

// A two-objective problem on integer genomes (vector<long>).
struct integer_problem {
  using genome_type = moo::integer_genome;
  moo::integer_space box{std::vector<long>(6, -20), std::vector<long>(6, 20)};
  std::size_t num_objectives() const { return 2; }
  const moo::integer_space& space() const { return box; }
  void evaluate(const genome_type& x, std::span<double> f) const {
    f[0] = f[1] = 0;
    for (long v : x) {
      f[0] += static_cast<double>((v - 3) * (v - 3));
      f[1] += static_cast<double>((v + 3) * (v + 3));
    }
  }
};

// Uniform crossover and a +-1 step mutation on integer genomes.
struct integer_step {
  std::array<moo::integer_genome, 2> operator()(const moo::integer_space& s, const moo::integer_genome& a,
                                                const moo::integer_genome& b, moo::rng& r) const {
    std::array<moo::integer_genome, 2> c{a, b};
    for (std::size_t i = 0; i < a.size(); ++i)
      if (r.bernoulli(0.5)) std::swap(c[0][i], c[1][i]);
    for (auto& x : c) {
      const auto i = r.index(x.size());
      x[i] = std::clamp(x[i] + (r.bernoulli(0.5) ? 1L : -1L), s.lower[i], s.upper[i]);
    }
    return c;
  }
};

// A user genome type: real variables plus a categorical choice, stored through io::serializer.
struct mixed_genome {
  std::vector<double> x;
  int choice = 0;
  friend bool operator==(const mixed_genome&, const mixed_genome&) = default;
};

struct mixed_space {
  using genome_type = mixed_genome;
  mixed_genome sample(moo::rng& r) const {
    return {{r.uniform(), r.uniform(), r.uniform()}, static_cast<int>(r.index(4))};
  }
};

struct mixed_problem {
  using genome_type = mixed_genome;
  std::size_t num_objectives() const { return 2; }
  mixed_space space() const { return {}; }
  void evaluate(const mixed_genome& g, std::span<double> f) const {
    f[0] = g.x[0] + 0.1 * g.choice;
    f[1] = (1 - g.x[0]) * (1 + g.x[1] + g.x[2]) + 0.1 * (3 - g.choice);
  }
};

struct mixed_variation {
  std::array<mixed_genome, 2> operator()(const mixed_space&, const mixed_genome& a, const mixed_genome& b,
                                         moo::rng& r) const {
    std::array<mixed_genome, 2> c{a, b};
    for (auto& g : c) {
      for (auto& v : g.x) v = std::clamp(v + 0.1 * (r.uniform() - 0.5), 0.0, 1.0);
      if (r.bernoulli(0.2)) g.choice = static_cast<int>(r.index(4));
    }
    return c;
  }
};

}  // namespace

template <>
struct moo::io::serializer<mixed_genome> {
  static void write(std::ostream& os, const mixed_genome& g) {
    moo::io::write(os, g.x);
    moo::io::write(os, g.choice);
  }
  static mixed_genome read(std::istream& is) {
    mixed_genome g;
    g.x = moo::io::read<std::vector<double>>(is);
    g.choice = moo::io::read<int>(is);
    return g;
  }
};

TEST_CASE("a run aborted at any generation and resumed ends bit-identical to an uninterrupted run") {
  const std::uint64_t seed = 17;
  MESSAGE("seed " << seed);
  temp_dir dir("abort");
  const moo::nsga2 algo{{.population = 16, .generations = 24, .seed = seed}};
  const auto expected = algo.run(moo::zdt1{});
  for (std::size_t abort_at : {1, 4, 5, 6, 13, 23, 24}) {
    CAPTURE(abort_at);
    const auto path = dir / "run.ckpt";
    std::filesystem::remove(path);
    const moo::checkpoint ck{.path = path, .every = 5};
    CHECK_THROWS_AS(algo.run(moo::zdt1{}, ck, crash_at{abort_at}), simulated_crash);
    REQUIRE(std::filesystem::exists(path));
    auto probe = algo.start(moo::zdt1{}.space());
    moo::io::load_checkpoint(path, probe);
    CHECK(probe.generation() == (abort_at - 1) / 5 * 5);  // generation abort_at crashed before its own
    check_identical(algo.resume(path, moo::zdt1{}, ck), expected);
  }
}

TEST_CASE("a run killed twice and resumed twice, and a run stopped by a callback, still end identical") {
  const std::uint64_t seed = 23;
  MESSAGE("seed " << seed);
  temp_dir dir("twice");
  const moo::nsga2 algo{{.population = 12, .generations = 30, .seed = seed}};
  const auto expected = algo.run(moo::zdt2{});
  const moo::checkpoint ck{.path = dir / "run.ckpt", .every = 3};
  CHECK_THROWS_AS(algo.run(moo::zdt2{}, ck, crash_at{8}), simulated_crash);
  CHECK_THROWS_AS(algo.resume(ck.path, moo::zdt2{}, ck, crash_at{20}), simulated_crash);
  check_identical(algo.resume(ck.path, moo::zdt2{}, ck), expected);

  const auto stopped = algo.run(moo::zdt2{}, ck, stop_at{13});
  CHECK(stopped.generations == 13);
  auto probe = algo.start(moo::zdt2{}.space());
  moo::io::load_checkpoint(ck.path, probe);
  CHECK(probe.generation() == 13);  // a stopped run writes its last generation
  check_identical(algo.resume(ck.path, moo::zdt2{}, ck), expected);
  // Resuming a finished run returns the same result without evaluating anything.
  check_identical(algo.resume(ck.path, moo::zdt2{}), expected);
}

TEST_CASE("a stateful survival policy's state is saved and restored through its save/load hooks") {
  const std::uint64_t seed = 5;
  MESSAGE("seed " << seed);
  temp_dir dir("survival");
  const moo::checkpoint ck{.path = dir / "run.ckpt", .every = 4};
  const moo::evolver<moo::sbx_pm, counting_survival> algo{{.population = 14, .generations = 20, .seed = seed}};
  const auto expected = algo.run(moo::zdt1{});
  CHECK_THROWS_AS(algo.run(moo::zdt1{}, ck, crash_at{7}), simulated_crash);
  check_identical(algo.resume(ck.path, moo::zdt1{}), expected);

  const moo::evolver<moo::sbx_pm, forgetful_survival> forgetful{{.population = 14, .generations = 20, .seed = seed}};
  const auto expected_forgetful = forgetful.run(moo::zdt1{});
  CHECK(expected_forgetful.objectives == expected.objectives);
  // Resumed from generation 4 (5 survival calls so far), a count restarting at 0 is out of phase.
  CHECK_THROWS_AS(forgetful.run(moo::zdt1{}, ck, crash_at{7}), simulated_crash);
  CHECK_FALSE(forgetful.resume(ck.path, moo::zdt1{}).objectives == expected.objectives);
}

#ifdef MOO_TEST_HAS_MOEAD
TEST_CASE("MOEA/D (stateful survival: weights, neighbourhoods, ideal point) resumes bit-identical") {
  const std::uint64_t seed = 9;
  MESSAGE("seed " << seed);
  temp_dir dir("moead");
  const moo::moead<> algo{{.population = 20, .generations = 20, .seed = seed}};
  const auto expected = algo.run(moo::zdt1{});
  const moo::checkpoint ck{.path = dir / "run.ckpt", .every = 3};
  CHECK_THROWS_AS(algo.run(moo::zdt1{}, ck, crash_at{11}), simulated_crash);
  check_identical(algo.resume(ck.path, moo::zdt1{}, ck), expected);
}
#endif

TEST_CASE("termination and archive state travel in the checkpoint") {
  const std::uint64_t seed = 31;
  MESSAGE("seed " << seed);
  temp_dir dir("stateful_args");
  const moo::nsga2 algo{{.population = 12, .seed = seed}};
  auto stop = [] {
    return moo::hypervolume_stagnation{.reference = {11, 11}, .generations = 6, .tolerance = 1e-2} |
           moo::max_generations{400};
  };
  archive full;
  auto stop_full = stop();
  const auto expected = algo.run(moo::zdt1{}, stop_full, full);
  MESSAGE("stagnation stopped the uninterrupted run after " << expected.generations << " generations");
  REQUIRE(expected.generations > 8);
  REQUIRE(expected.generations < 400);

  // Killed 3 generations before the end: the last checkpoint is 4 generations before it, when the
  // stagnation counter already ran; a fresh counter would need 6 more generations, so an identical end
  // shows the counter came back.
  const moo::checkpoint ck{.path = dir / "run.ckpt", .every = 1};
  archive part;
  CHECK_THROWS_AS(algo.run(moo::zdt1{}, stop(), part, ck, crash_at{expected.generations - 3}), simulated_crash);
  archive resumed;
  auto stop_resumed = stop();
  check_identical(algo.resume(ck.path, moo::zdt1{}, stop_resumed, resumed, ck), expected);
  CHECK(std::get<0>(stop_resumed.parts).best() == std::get<0>(stop_full.parts).best());
  CHECK(resumed.points == full.points);
  CHECK(resumed.points.size() > 12);
}

TEST_CASE("integer genomes and a user genome type checkpoint and resume bit-identical") {
  const std::uint64_t seed = 12;
  MESSAGE("seed " << seed);
  temp_dir dir("genomes");
  const moo::checkpoint ck{.path = dir / "run.ckpt", .every = 2};

  const moo::evolver<integer_step, moo::nsga2_survival> ints{{.population = 10, .generations = 15, .seed = seed}};
  const auto expected = ints.run(integer_problem{});
  CHECK_THROWS_AS(ints.run(integer_problem{}, ck, crash_at{7}), simulated_crash);
  check_identical(ints.resume(ck.path, integer_problem{}), expected);

  const moo::evolver<mixed_variation, moo::nsga2_survival> mixed{{.population = 10, .generations = 15, .seed = seed}};
  const auto expected_mixed = mixed.run(mixed_problem{});
  CHECK_THROWS_AS(mixed.run(mixed_problem{}, ck, crash_at{9}), simulated_crash);
  check_identical(mixed.resume(ck.path, mixed_problem{}), expected_mixed);
}

TEST_CASE("a failed evaluation keeps the run's state: retry in process, or resume from the checkpoint") {
  const std::uint64_t seed = 2;
  MESSAGE("seed " << seed);
  temp_dir dir("failure");
  const moo::nsga2 algo{{.population = 10, .generations = 12, .seed = seed}};
  const auto expected = algo.run(moo::zdt1{});
  flaky broken;
  broken.fail_at = 75;  // in generation 7's batch

  // In process: the state keeps the unevaluated batch; continue_run retries it.
  auto state = algo.start(moo::zdt1{}.space());
  moo::sequential_executor ex;
  CHECK_THROWS_WITH_AS(algo.continue_run(state, ex, broken), doctest::Contains("node lost"), moo::evaluation_error);
  CHECK(state.generation() == 6);
  CHECK(state.evaluations() == 70);
  check_identical(algo.continue_run(state, ex, moo::zdt1{}), expected);

  // From the checkpoint written when the evaluation failed (mid-generation, batch pending).
  const moo::checkpoint ck{.path = dir / "run.ckpt", .every = 5};
  broken.calls = 0;
  CHECK_THROWS_AS(algo.run(broken, ck), moo::evaluation_error);
  auto probe = algo.start(moo::zdt1{}.space());
  moo::io::load_checkpoint(ck.path, probe);
  CHECK(probe.generation() == 6);
  check_identical(algo.resume(ck.path, moo::zdt1{}, ck), expected);
}

TEST_CASE("resuming with different options or missing stateful arguments is refused") {
  temp_dir dir("refuse");
  const moo::checkpoint ck{.path = dir / "run.ckpt", .every = 2};
  const moo::nsga2 written{{.population = 10, .generations = 4, .seed = 1}};
  const moo::nsga2 bigger{{.population = 12, .generations = 4, .seed = 1}};
  written.run(moo::zdt1{}, ck);
  CHECK_THROWS_WITH_AS(bigger.resume(ck.path, moo::zdt1{}),
                       doctest::Contains("population = 10, this run has population = 12"), moo::io_error);
  CHECK_THROWS_WITH_AS(written.resume(ck.path, moo::zdt1{}, archive{}), doctest::Contains("this run passes 1"),
                       moo::io_error);
  CHECK_THROWS_WITH_AS(written.resume(dir / "nowhere.ckpt", moo::zdt1{}), doctest::Contains("nowhere.ckpt"),
                       moo::io_error);
  const moo::checkpoint never{.path = dir / "x", .every = 0};
  CHECK_THROWS_WITH_AS(written.run(moo::zdt1{}, never), doctest::Contains("every must be positive"), moo::value_error);
}
