// Run by ctest under `mpirun -np 3`: rank 0 drives, ranks 1-2 evaluate. Checks that the MPI executor
// gives the sequential executor's results (NSGA-II runs, integer and user genome batches), reports failed
// evaluations with their genomes while keeping the other results, and works with checkpoint/resume; for
// Lamarckian problems, that evaluated genomes come back changed exactly as the sequential executor leaves
// them (real vectors and a user genome type, a whole NSGA-II run), failed ones unchanged; and that byte
// messages longer than options.max_message travel in pieces.
// With a scenario argument it checks failures instead, each run ending with a verdict gathered from every
// rank (ctest runs each under `timeout`, so a hang fails):
//   evaluation-failure  evaluations throw on the workers: evaluation_error on rank 0 with NaN rows and the
//                       other results kept, the executor still usable; a run failing on rank 0 ends serve()
//                       with an error on every worker
//   serve-failure       a worker's serve() itself throws (a genome that cannot be read, an evaluated genome
//                       that cannot be written): rank 0 drains the chunks in flight and throws, every other
//                       worker's serve() throws, nothing stale is left for a new executor
//   root-failure        rank 0 throws while handing out chunks: the chunks in flight are drained, the
//                       executor stays usable and gives the sequential results
// Exit status 0 when every check passes (on rank 0; on every rank for a scenario).
#include <array>
#include <chrono>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <new>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <moo/algorithm/nsga2.hpp>
#include <moo/execution/mpi.hpp>
#include <moo/execution/sequential.hpp>
#include <moo/genome/integer.hpp>
#include <moo/io/serialize.hpp>
#include <moo/problems/zdt.hpp>

namespace {

int failures = 0;
int world_rank = 0;

void check(bool ok, const std::string& what) {
  std::printf("%s: rank %d: %s\n", ok ? "ok  " : "FAIL", world_rank, what.c_str());
  std::fflush(stdout);
  if (!ok) ++failures;
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// Bitwise equality of two objective sets (NaN rows of failed evaluations compare equal).
bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::bit_cast<std::uint64_t>(a[i]) != std::bit_cast<std::uint64_t>(b[i])) return false;
  return true;
}

// ZDT1 that fails for x_0 > 0.8.
struct fragile : moo::zdt1 {
  fragile() : moo::zdt1() {}
  void evaluate(std::span<const double> x, std::span<double> f) const {
    if (x[0] > 0.8) throw std::runtime_error("simulated crash on a worker");
    moo::zdt1::evaluate(x, f);
  }
};

// Two objectives on integer genomes.
struct integer_problem {
  using genome_type = moo::integer_genome;
  moo::integer_space box{std::vector<long>(5, -1000), std::vector<long>(5, 1000)};
  std::size_t num_objectives() const { return 2; }
  const moo::integer_space& space() const { return box; }
  void evaluate(const genome_type& x, std::span<double> f) const {
    f[0] = f[1] = 0;
    for (long v : x) {
      f[0] += std::abs(static_cast<double>(v - 7));
      f[1] += std::abs(static_cast<double>(v + 7)) / 3.0;
    }
  }
};

// A user genome type, sent through moo::io::serializer.
struct tagged_genome {
  std::vector<double> x;
  std::string tag;
};

struct tagged_space {
  using genome_type = tagged_genome;
  tagged_genome sample(moo::rng& r) const { return {{r.uniform(), r.uniform()}, "t" + std::to_string(r.index(100))}; }
};

struct tagged_problem {
  using genome_type = tagged_genome;
  std::size_t num_objectives() const { return 2; }
  tagged_space space() const { return {}; }
  void evaluate(const tagged_genome& g, std::span<double> f) const {
    f[0] = g.x[0] + static_cast<double>(g.tag.size());
    f[1] = g.x[1] * std::stod(g.tag.substr(1));
  }
};

// Lamarckian ZDT1: evaluation halves x_0 in place (as training changes a network), then scores the changed
// genome; fails, before changing anything, for x_1 > 0.9 when `crashes`. (Declaring evaluate here hides
// zdt1's const overload, which makes the problem Lamarckian.)
struct halving_zdt1 : moo::zdt1 {
  halving_zdt1() : moo::zdt1() {}
  bool crashes = false;
  void evaluate(moo::real_genome& x, std::span<double> f) const {
    if (crashes && x[1] > 0.9) throw std::runtime_error("simulated crash while training");
    x[0] *= 0.5;
    moo::zdt1::evaluate(x, f);
  }
};
static_assert(moo::lamarckian_problem<halving_zdt1>);
static_assert(moo::lamarckian_executor<moo::mpi_executor, halving_zdt1>);
static_assert(!moo::executor<moo::mpi_executor, halving_zdt1>);

// A Lamarckian problem on the user genome type: evaluation changes both the numbers and the tag; fails
// for tags ending in 3 (with a message long enough to travel in pieces when max_message = 40).
struct growing_tag_problem {
  using genome_type = tagged_genome;
  std::size_t num_objectives() const { return 2; }
  tagged_space space() const { return {}; }
  void evaluate(tagged_genome& g, std::span<double> f) const {
    if (g.tag.back() == '3') throw std::runtime_error("simulated crash while training a genome whose tag ends in 3");
    g.x[0] *= 0.5;
    g.x.push_back(g.x[1] * 3.0);
    g.tag += "+trained";
    f[0] = g.x[0] + static_cast<double>(g.tag.size());
    f[1] = g.x[2] * std::stod(g.tag.substr(1));
  }
};

bool same_genomes(const std::vector<tagged_genome>& a, const std::vector<tagged_genome>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same_bits(a[i].x, b[i].x) || a[i].tag != b[i].tag) return false;
  return true;
}

// Evaluates `xs` in place with `ex`; returns the objectives (those of evaluation_error when some fail)
// and the error message ("" when none fails).
template <class Executor, class P>
std::pair<std::vector<double>, std::string> evaluate_in_place(Executor&& ex, const P& p,
                                                              std::vector<moo::genome_of<P>>& xs) {
  try {
    return {ex.evaluate(p, std::span<moo::genome_of<P>>(xs)).storage(), ""};
  } catch (const moo::evaluation_error& e) {
    return {e.objectives(), e.what()};
  }
}

struct crash_at {
  std::size_t g;
  template <class State>
  void on_generation(const State& s) const {
    if (s.generation() == g) throw std::runtime_error("simulated crash of rank 0");
  }
};

template <class G>
std::vector<G> sample(const auto& space, std::size_t n, std::uint64_t seed) {
  moo::rng r(seed);
  std::vector<G> xs;
  for (std::size_t i = 0; i < n; ++i) xs.push_back(space.sample(r));
  return xs;
}

}  // namespace

template <>
struct moo::io::serializer<tagged_genome> {
  static void write(std::ostream& os, const tagged_genome& g) {
    if (g.tag == "!write") throw std::bad_alloc();
    moo::io::write(os, g.x);
    moo::io::write(os, g.tag);
  }
  // The failure scenarios inject a failure inside serve(): a genome tagged "!read" cannot be read back, one
  // tagged "!write" cannot be written (as if memory ran out).
  static tagged_genome read(std::istream& is) {
    tagged_genome g;
    g.x = moo::io::read<std::vector<double>>(is);
    g.tag = moo::io::read<std::string>(is);
    if (g.tag == "!read") throw std::bad_alloc();
    return g;
  }
};

static_assert(moo::lamarckian_executor<moo::mpi_executor, growing_tag_problem>);

namespace {

// Objectives (x_0, x_1) of a tagged genome; a genome tagged "slow" takes 300 ms, so that its chunk is still
// in flight when another rank fails. Evaluation reads the genome only.
struct poison_problem {
  using genome_type = tagged_genome;
  std::size_t num_objectives() const { return 2; }
  tagged_space space() const { return {}; }
  void evaluate(const tagged_genome& g, std::span<double> f) const {
    if (g.tag == "slow") std::this_thread::sleep_for(std::chrono::milliseconds(300));
    f[0] = g.x[0];
    f[1] = g.x[1];
  }
};

// Lamarckian: evaluation halves x_0 and renames a genome tagged "?write" to "!write", which its worker then
// cannot send back.
struct poison_lamarckian_problem {
  using genome_type = tagged_genome;
  std::size_t num_objectives() const { return 2; }
  tagged_space space() const { return {}; }
  void evaluate(tagged_genome& g, std::span<double> f) const {
    if (g.tag == "slow") std::this_thread::sleep_for(std::chrono::milliseconds(300));
    g.x[0] *= 0.5;
    if (g.tag == "?write") g.tag = "!write";
    f[0] = g.x[0];
    f[1] = g.x[1];
  }
};

// ZDT1 that fails for x_0 > 0.8 with a std::exception and for x_0 < 0.05 with something else.
struct very_fragile : moo::zdt1 {
  very_fragile() : moo::zdt1() {}
  void evaluate(std::span<const double> x, std::span<double> f) const {
    if (x[0] > 0.8) throw std::runtime_error("simulated crash on a worker");
    if (x[0] < 0.05) throw 42;
    moo::zdt1::evaluate(x, f);
  }
};

std::vector<tagged_genome> tagged_batch(std::size_t n, std::uint64_t seed,
                                        const std::vector<std::pair<std::size_t, std::string>>& tags) {
  auto xs = sample<tagged_genome>(tagged_space{}, n, seed);
  for (const auto& [i, tag] : tags) xs[i].tag = tag;
  return xs;
}

// Runs f(); returns the message of the exception it throws ("" if none), prefixed with its kind.
template <class F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const moo::mpi_error& e) {
    return std::string("mpi_error: ") + e.what();
  } catch (const std::bad_alloc& e) {
    return std::string("bad_alloc: ") + e.what();
  } catch (const std::exception& e) {
    return std::string("exception: ") + e.what();
  }
  return "";
}

// evaluation-failure: evaluations throw on the workers.
void evaluation_failure() {
  const moo::nsga2 algo{{.population = 40, .generations = 20, .seed = 5}};
  if (world_rank != 0) {
    moo::mpi_executor ex;
    const auto what = error_of([&] { ex.serve(very_fragile{}); });
    std::printf("      rank %d: %s\n", world_rank, what.c_str());
    check(contains(what, "mpi_error") && contains(what, "rank 0"),
          "serve() throws mpi_error when rank 0's executor is destroyed by an exception");
    return;
  }
  std::string run_error;
  try {
    moo::mpi_executor ex{{.chunk = 3}};
    const auto xs = sample<moo::real_genome>(very_fragile{}.space(), 60, 9);
    std::string seq_what, mpi_what;
    std::vector<double> seq_f, mpi_f;
    try {
      moo::sequential_executor{}.evaluate(very_fragile{}, std::span<const moo::real_genome>(xs));
    } catch (const moo::evaluation_error& e) {
      seq_what = e.what();
      seq_f = e.objectives();
    }
    try {
      ex.evaluate(very_fragile{}, std::span<const moo::real_genome>(xs));
    } catch (const moo::evaluation_error& e) {
      mpi_what = e.what();
      mpi_f = e.objectives();
    }
    check(contains(seq_what, "unknown exception") && contains(seq_what, "simulated crash"),
          "the batch fails with both kinds of exception");
    check(!mpi_what.empty() && mpi_what == seq_what,
          "evaluation_error names the same genomes and messages as the sequential executor");
    check(same_bits(mpi_f, seq_f), "failed rows are NaN, the batch's other results are kept");
    std::vector<moo::real_genome> fine;
    for (const auto& x : xs)
      if (x[0] >= 0.05 && x[0] <= 0.8) fine.push_back(x);
    check(ex.evaluate(very_fragile{}, std::span<const moo::real_genome>(fine)) ==
              moo::sequential_executor{}.evaluate(very_fragile{}, std::span<const moo::real_genome>(fine)),
          "the executor stays usable after a failing batch");
    algo.run_on(ex, very_fragile{});  // fails in the first generation; the executor dies with the exception
  } catch (const moo::evaluation_error& e) {
    run_error = e.what();
  }
  check(!run_error.empty(), "an NSGA-II run whose evaluations fail throws evaluation_error on rank 0");
}

// serve-failure: a worker's serve() throws; every rank must end with an error and nothing stale remains.
void serve_failure() {
  // 1. A genome that a worker cannot read (plain problem), while another chunk is in flight.
  // 2. A genome that a worker cannot send back after evaluating it (Lamarckian).
  for (const bool lamarckian : {false, true}) {
    const std::string stage = lamarckian ? "Lamarckian, write: " : "plain, read: ";
    auto xs = tagged_batch(8, 11, {{0, "slow"}, {1, lamarckian ? "?write" : "!read"}, {2, "slow"}});
    moo::mpi_executor ex{{.chunk = 1}};
    if (world_rank != 0) {
      const auto what = error_of([&] {
        if (lamarckian) ex.serve(poison_lamarckian_problem{});
        else ex.serve(poison_problem{});
      });
      std::printf("      rank %d: %s%s\n", world_rank, stage.c_str(), what.c_str());
      check(contains(what, "bad_alloc") || (contains(what, "mpi_error") && contains(what, "failed")),
            stage + "serve() ends with the worker's own error or with mpi_error naming the failed rank");
      const auto again = error_of([&] { ex.serve(poison_problem{}); });
      check(contains(again, "mpi_error"), stage + "the executor is shut down on the worker: serve() throws again");
    } else {
      const auto what = error_of([&] {
        if (lamarckian) ex.evaluate(poison_lamarckian_problem{}, std::span<tagged_genome>(xs));
        else ex.evaluate(poison_problem{}, std::span<const tagged_genome>(xs));
      });
      std::printf("      rank 0: %s%s\n", stage.c_str(), what.c_str());
      check(contains(what, "mpi_error") && contains(what, "std::bad_alloc") && contains(what, "rank "),
            stage + "rank 0 throws mpi_error naming the failed rank and its error");
      const auto again = error_of([&] { ex.evaluate(poison_problem{}, std::span<const tagged_genome>(xs)); });
      check(contains(again, "mpi_error") && contains(again, "shut down"),
            stage + "the executor is shut down: a later evaluate() throws mpi_error");
    }
    // A new executor finds no stale message on any rank: its results equal the sequential executor's.
    moo::mpi_executor fresh{{.chunk = 1}};
    const auto clean = tagged_batch(12, 12, {});
    if (world_rank != 0) {
      const auto what = error_of([&] { fresh.serve(poison_problem{}); });
      check(what.empty(), stage + "a new executor serves normally afterwards");
    } else {
      const auto f = fresh.evaluate(poison_problem{}, std::span<const tagged_genome>(clean));
      check(f == moo::sequential_executor{}.evaluate(poison_problem{}, std::span<const tagged_genome>(clean)),
            stage + "a new executor afterwards gives the sequential results (nothing stale was left)");
      fresh.stop_workers();
    }
  }
}

// root-failure: rank 0 throws (a genome it cannot write) while other chunks are in flight.
void root_failure() {
  moo::mpi_executor ex{{.chunk = 1}};
  if (world_rank != 0) {
    const auto what = error_of([&] { ex.serve(poison_problem{}); });
    check(what.empty(), "serve() returns normally: rank 0's failure was its own, the executor goes on");
    return;
  }
  const auto xs = tagged_batch(8, 13, {{0, "slow"}, {1, "slow"}, {2, "!write"}, {3, "slow"}});
  const auto what = error_of([&] { ex.evaluate(poison_problem{}, std::span<const tagged_genome>(xs)); });
  std::printf("      rank 0: %s\n", what.c_str());
  check(contains(what, "bad_alloc"), "rank 0's own exception comes out of evaluate()");
  for (std::uint64_t seed : {14, 15}) {
    const auto clean = tagged_batch(10, seed, {{0, "slow"}});
    const auto seq = moo::sequential_executor{}.evaluate(poison_problem{}, std::span<const tagged_genome>(clean));
    std::string err;
    moo::matrix f;
    try {
      f = ex.evaluate(poison_problem{}, std::span<const tagged_genome>(clean));
    } catch (const std::exception& e) {
      err = e.what();
    }
    check(err.empty() && f == seq, "the executor stays usable: the next batch equals the sequential results " + err);
  }
  ex.stop_workers();
}

}  // namespace

int result_checks() {
  moo::mpi_executor ex;
  const std::uint64_t seed = 3;
  const std::filesystem::path ckpt = std::filesystem::temp_directory_path() / "moo_mpi_executor_check.ckpt";

  if (!ex.is_root()) {
    ex.serve(moo::zdt1{});         // NSGA-II runs
    ex.serve(fragile{});           // a failing batch
    ex.serve(integer_problem{});   // integer genomes
    ex.serve(tagged_problem{});    // a user genome type
    ex.serve(moo::zdt1{});         // checkpoint and resume
    {
      moo::mpi_executor one_by_one{{.chunk = 1}};
      one_by_one.serve(moo::zdt1{});
    }
    ex.serve(halving_zdt1{});          // Lamarckian real vectors
    halving_zdt1 crashing;
    crashing.crashes = true;
    ex.serve(crashing);                // ... with failures
    ex.serve(growing_tag_problem{});   // Lamarckian user genome type
    ex.serve(halving_zdt1{});          // Lamarckian NSGA-II run
    {
      moo::mpi_executor pieces{{.chunk = 3, .max_message = 40}};
      pieces.serve(growing_tag_problem{});  // messages in pieces, Lamarckian
      pieces.serve(tagged_problem{});       // ... and plain
    }
    return 0;
  }

  std::printf("mpi_executor_check: %d ranks, seed %llu\n", ex.size(), static_cast<unsigned long long>(seed));
  check(ex.size() == 3, "3 ranks");
  const moo::nsga2 algo{{.population = 40, .generations = 20, .seed = seed}};
  const auto expected = algo.run(moo::zdt1{});

  {  // 1. NSGA-II over MPI equals the sequential run.
    const auto res = algo.run_on(ex, moo::zdt1{});
    check(res.objectives == expected.objectives && res.genomes == expected.genomes &&
              res.evaluations == expected.evaluations,
          "NSGA-II on ZDT1 over MPI equals the sequential run bit for bit");
    ex.stop_workers();
  }
  {  // 2. Failures name their genomes; the other results are kept, as sequentially.
    const auto xs = sample<moo::real_genome>(fragile{}.space(), 50, seed);
    std::string seq_what, mpi_what;
    std::vector<double> seq_f, mpi_f;
    std::size_t mpi_failed = 0;
    try {
      moo::sequential_executor{}.evaluate(fragile{}, std::span<const moo::real_genome>(xs));
    } catch (const moo::evaluation_error& e) {
      seq_what = e.what();
      seq_f = e.objectives();
    }
    try {
      ex.evaluate(fragile{}, std::span<const moo::real_genome>(xs));
    } catch (const moo::evaluation_error& e) {
      mpi_what = e.what();
      mpi_f = e.objectives();
      mpi_failed = e.failures().size();
    }
    ex.stop_workers();
    check(!mpi_what.empty() && mpi_failed > 0, "a failing evaluation on a worker raises evaluation_error");
    check(mpi_what == seq_what, "the error names the same genomes and messages as the sequential executor");
    check(same_bits(mpi_f, seq_f), "the batch's other results are kept");
    std::printf("      %s\n", mpi_what.substr(0, mpi_what.find('\n', mpi_what.find('\n') + 1)).c_str());
  }
  {  // 3. Integer genomes travel as doubles and come back with the same objectives.
    auto xs = sample<moo::integer_genome>(integer_problem{}.space(), 64, seed);
    const auto seq = moo::sequential_executor{}.evaluate(integer_problem{}, std::span<const moo::integer_genome>(xs));
    check(ex.evaluate(integer_problem{}, std::span<const moo::integer_genome>(xs)) == seq,
          "integer genomes: MPI equals sequential");
    xs[5][2] = (1L << 60) + 1;
    bool refused = false;
    try {
      ex.evaluate(integer_problem{}, std::span<const moo::integer_genome>(xs));
    } catch (const moo::value_error& e) {
      refused = std::string(e.what()).find("genome 5") != std::string::npos;
    }
    check(refused, "an integer gene beyond 2^53 is refused before anything is sent");
    ex.stop_workers();
  }
  {  // 4. A user genome type travels through its serializer.
    const auto xs = sample<tagged_genome>(tagged_space{}, 30, seed);
    const auto seq = moo::sequential_executor{}.evaluate(tagged_problem{}, std::span<const tagged_genome>(xs));
    check(ex.evaluate(tagged_problem{}, std::span<const tagged_genome>(xs)) == seq,
          "user genome type via io::serializer: MPI equals sequential");
    ex.stop_workers();
  }
  {  // 5. Rank 0 crashes mid-run and resumes from its checkpoint, evaluating over MPI throughout.
    std::filesystem::remove(ckpt);
    const moo::checkpoint ck{.path = ckpt, .every = 3};
    bool crashed = false;
    try {
      algo.run_on(ex, moo::zdt1{}, ck, crash_at{10});
    } catch (const std::runtime_error&) {
      crashed = true;
    }
    const auto res = algo.resume_on(ckpt, ex, moo::zdt1{}, ck);
    ex.stop_workers();
    check(crashed && res.objectives == expected.objectives && res.genomes == expected.genomes,
          "a run resumed over MPI from a checkpoint equals the uninterrupted sequential run");
    std::filesystem::remove(ckpt);
    auto prev = ckpt;
    prev += ".prev";
    std::filesystem::remove(prev);
  }
  {  // 6. One genome per message (dynamic load balancing at its finest) gives the same results.
    moo::mpi_executor one_by_one{{.chunk = 1}};
    const auto res = algo.run_on(one_by_one, moo::zdt1{});
    one_by_one.stop_workers();
    check(res.objectives == expected.objectives, "chunk = 1: MPI equals sequential");
  }
  {  // 7. Lamarckian real vectors: the evaluated genomes come back halved, as sequentially, bit for bit.
    const auto original = sample<moo::real_genome>(halving_zdt1{}.space(), 50, seed);
    auto seq_xs = original, mpi_xs = original;
    const auto [seq_f, seq_what] = evaluate_in_place(moo::sequential_executor{}, halving_zdt1{}, seq_xs);
    const auto [mpi_f, mpi_what] = evaluate_in_place(ex, halving_zdt1{}, mpi_xs);
    ex.stop_workers();
    bool halved = true;
    for (std::size_t i = 0; i < original.size(); ++i) halved = halved && mpi_xs[i][0] == original[i][0] * 0.5;
    check(seq_what.empty() && mpi_what.empty() && halved, "Lamarckian: every genome comes back changed (x_0 halved)");
    check(mpi_xs == seq_xs && same_bits(mpi_f, seq_f),
          "Lamarckian: genomes and objectives equal the sequential executor's");
  }
  {  // 8. Lamarckian failures: evaluation_error as sequentially; failed genomes stay as they were.
    halving_zdt1 p;
    p.crashes = true;
    const auto original = sample<moo::real_genome>(p.space(), 50, seed + 1);
    auto seq_xs = original, mpi_xs = original;
    const auto [seq_f, seq_what] = evaluate_in_place(moo::sequential_executor{}, p, seq_xs);
    const auto [mpi_f, mpi_what] = evaluate_in_place(ex, p, mpi_xs);
    ex.stop_workers();
    std::size_t failed = 0;
    bool kept = true;
    for (std::size_t i = 0; i < original.size(); ++i)
      if (original[i][1] > 0.9) {
        ++failed;
        kept = kept && mpi_xs[i] == original[i];
      }
    check(failed > 0 && !mpi_what.empty() && mpi_what == seq_what,
          "Lamarckian: failures name the same genomes and messages as the sequential executor");
    check(kept && mpi_xs == seq_xs && same_bits(mpi_f, seq_f),
          "Lamarckian: failed genomes unchanged, the others evaluated, results as sequential");
  }
  {  // 9. Lamarckian user genome type through io::serializer (it grows and its tag changes).
    const auto original = sample<tagged_genome>(tagged_space{}, 40, seed);
    auto seq_xs = original, mpi_xs = original;
    const auto [seq_f, seq_what] = evaluate_in_place(moo::sequential_executor{}, growing_tag_problem{}, seq_xs);
    const auto [mpi_f, mpi_what] = evaluate_in_place(ex, growing_tag_problem{}, mpi_xs);
    ex.stop_workers();
    std::size_t changed = 0;
    for (std::size_t i = 0; i < original.size(); ++i)
      if (mpi_xs[i].x.size() == 3 && mpi_xs[i].tag != original[i].tag) ++changed;
    std::printf("      %zu of %zu genomes trained, %s\n", changed, original.size(),
                mpi_what.empty() ? "none failed" : mpi_what.substr(0, mpi_what.find('\n')).c_str());
    check(changed > 0 && changed < original.size() && !mpi_what.empty() && mpi_what == seq_what,
          "Lamarckian user genome type: the same failures as sequentially");
    check(same_genomes(mpi_xs, seq_xs) && same_bits(mpi_f, seq_f),
          "Lamarckian user genome type: genomes and objectives equal the sequential executor's");
  }
  {  // 10. A whole Lamarckian NSGA-II run over MPI equals the sequential run.
    const auto seq = algo.run(halving_zdt1{});
    const auto res = algo.run_on(ex, halving_zdt1{});
    ex.stop_workers();
    check(res.objectives == seq.objectives && res.genomes == seq.genomes && res.evaluations == seq.evaluations,
          "Lamarckian NSGA-II over MPI equals the sequential run bit for bit");
  }
  {  // 11. Messages longer than options.max_message (here 40 bytes) travel in pieces, both ways.
    moo::mpi_executor pieces{{.chunk = 3, .max_message = 40}};
    const auto original = sample<tagged_genome>(tagged_space{}, 20, seed + 2);
    auto seq_xs = original, mpi_xs = original;
    const auto [seq_f, seq_what] = evaluate_in_place(moo::sequential_executor{}, growing_tag_problem{}, seq_xs);
    const auto [mpi_f, mpi_what] = evaluate_in_place(pieces, growing_tag_problem{}, mpi_xs);
    pieces.stop_workers();
    check(!mpi_what.empty() && mpi_what == seq_what && same_genomes(mpi_xs, seq_xs) && same_bits(mpi_f, seq_f),
          "max_message = 40: Lamarckian results and failures in pieces equal the sequential executor's");
    const auto plain = moo::sequential_executor{}.evaluate(tagged_problem{}, std::span<const tagged_genome>(original));
    check(pieces.evaluate(tagged_problem{}, std::span<const tagged_genome>(original)) == plain,
          "max_message = 40: plain work messages in pieces, results equal the sequential executor's");
    pieces.stop_workers();
  }
  std::printf("mpi_executor_check: %s (%d failed)\n", failures == 0 ? "PASS" : "FAIL", failures);
  return failures == 0 ? 0 : 1;
}

int main(int argc, char** argv) try {
  moo::mpi_environment env(argc, argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
  const std::string scenario = argc > 1 ? argv[1] : "";
  if (scenario.empty()) return result_checks();
  if (scenario == "evaluation-failure") {
    evaluation_failure();
  } else if (scenario == "serve-failure") {
    serve_failure();
  } else if (scenario == "root-failure") {
    root_failure();
  } else {
    std::fprintf(stderr, "mpi_executor_check: unknown scenario %s\n", scenario.c_str());
    return 2;
  }
  int mine = failures, all = 0;
  MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (world_rank == 0)
    std::printf("mpi_executor_check %s: %s (%d failed)\n", scenario.c_str(), all == 0 ? "PASS" : "FAIL", all);
  return all == 0 ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "mpi_executor_check: %s\n", e.what());
  return 1;
}
