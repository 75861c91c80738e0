// Issue 10's defects of the checkpoint path, each pinned by a test that failed before its fix: a
// directory as checkpoint path, the ".prev is intact" claim made without looking, a checkpoint of a run
// with another genome length or number of objectives accepted, and the first tell() taking any shape.
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "support.hpp"
#include "moo/algorithm/moead.hpp"
#include "moo/algorithm/nsga2.hpp"
#include "moo/algorithm/termination.hpp"
#include "moo/io/checkpoint.hpp"
#include "moo/io/file.hpp"
#include "moo/problems/dtlz.hpp"
#include "moo/problems/zdt.hpp"

namespace {

namespace fs = std::filesystem;

using test_support::temp_dir;
using test_support::write_bytes;


}  // namespace

TEST_CASE("a directory given as checkpoint path is an io_error naming it, for saving and for loading") {
  temp_dir dir("directory");
  const fs::path where = dir.path / "a_directory";
  fs::create_directories(where);
  const moo::nsga2 algo{{.population = 8, .generations = 2, .seed = 3}};
  auto state = algo.start(moo::zdt1{});
  CHECK_THROWS_WITH_AS(moo::io::load_checkpoint(where, state),
                       doctest::Contains("it is a directory"),
                       moo::io_error);
  CHECK_THROWS_WITH_AS(moo::io::save_checkpoint(where, state), doctest::Contains("a_directory': it is a directory"),
                       moo::io_error);
  CHECK_THROWS_WITH_AS(moo::io::read_file(where), doctest::Contains("a_directory': it is a directory"), moo::io_error);
  CHECK_THROWS_WITH_AS(moo::io::write_atomically(where, "x"), doctest::Contains("it is a directory"), moo::io_error);
  CHECK(fs::is_directory(where));
  // The run API says the same, and no exception of another type escapes.
  CHECK_THROWS_AS(algo.resume(where, moo::zdt1{}), moo::io_error);
}

TEST_CASE("a refused checkpoint calls its .prev intact only when .prev passes its own checks") {
  temp_dir dir("prev");
  const auto path = dir.path / "run.ckpt";
  auto prev = path;
  prev += ".prev";
  const moo::nsga2 algo{{.population = 8, .generations = 3, .seed = 5}};
  algo.run(moo::zdt1{}, moo::checkpoint{.path = path, .every = 1});
  REQUIRE(fs::exists(prev));
  std::string bytes = moo::io::read_file(path);
  bytes.resize(bytes.size() - 3);
  write_bytes(path, bytes);
  CHECK_THROWS_WITH_AS(algo.resume(path, moo::zdt1{}), doctest::Contains("is intact"), moo::io_error);

  std::string older = moo::io::read_file(prev);
  older[older.size() / 2] ^= 0x20;  // damage .prev too: its checksum no longer matches
  write_bytes(prev, older);
  try {
    algo.resume(path, moo::zdt1{});
    FAIL("a truncated checkpoint was accepted");
  } catch (const moo::io_error& e) {
    const std::string what = e.what();
    CHECK(what.find("is intact") == std::string::npos);
    CHECK(what.find("damaged too") != std::string::npos);
    CHECK(what.find("checksum") != std::string::npos);
  }
}

TEST_CASE("a checkpoint of a run with another genome length is refused at load, naming the file") {
  temp_dir dir("length");
  const auto path = dir.path / "zdt1_30.ckpt";
  const moo::nsga2 algo{{.population = 8, .generations = 2, .seed = 7}};
  algo.run(moo::zdt1{30}, moo::checkpoint{.path = path, .every = 1});
  CHECK_THROWS_WITH_AS(algo.resume(path, moo::zdt1{10}),
                       doctest::Contains("zdt1_30.ckpt' is refused: does not fit this run: it was written with space = "),
                       moo::io_error);
  // Other bounds with the same length are another space too; the same space resumes.
  auto state = algo.start(moo::real_space::uniform(30, -1.0, 1.0));
  CHECK_THROWS_AS(moo::io::load_checkpoint(path, state), moo::io_error);
  CHECK_FALSE(state.initialized());
  CHECK_NOTHROW(algo.resume(path, moo::zdt1{30}));
}

TEST_CASE("a checkpoint of a run with another number of objectives is refused at resume") {
  temp_dir dir("objectives");
  const auto path = dir.path / "dtlz2_3.ckpt";
  const moo::nsga2 algo{{.population = 8, .generations = 2, .seed = 9}};
  algo.run(moo::dtlz2{3, 10}, moo::checkpoint{.path = path, .every = 1});
  // dtlz2 with 2 objectives and k = 11 has the same space (12 variables in [0, 1]), not the same objectives.
  CHECK_THROWS_WITH_AS(algo.resume(path, moo::dtlz2{2, 11}),
                       doctest::Contains("written for 3 objectives, this problem has 2"), moo::io_error);
}

TEST_CASE("the first tell is checked against the problem's number of objectives; the state is not stuck") {
  const moo::nsga2 algo{{.population = 6, .generations = 1, .seed = 2}};
  const moo::zdt1 problem{5};
  auto state = algo.start(problem);
  CHECK(state.num_objectives() == 2);
  const auto batch = state.ask();
  CHECK_THROWS_WITH_AS(state.tell(moo::matrix(batch.size(), 0)), doctest::Contains("0 objectives"),
                       moo::dimension_error);
  CHECK_THROWS_WITH_AS(state.tell(moo::matrix(batch.size(), 3)), doctest::Contains("3 objectives, expected 2"),
                       moo::dimension_error);
  CHECK(state.ask() == batch);  // nothing changed: the same batch can be told correctly
  state.tell(moo::sequential_executor{}.evaluate(problem, std::span<const moo::real_genome>(batch)));
  CHECK(state.initialized());
  CHECK(state.objectives().cols() == 2);

  // Started from a space, the first tell fixes the number; 0 columns are refused all the same.
  auto from_space = algo.start(problem.space());
  CHECK(from_space.num_objectives() == 0);
  const auto b2 = from_space.ask();
  CHECK_THROWS_AS(from_space.tell(moo::matrix(b2.size(), 0)), moo::dimension_error);
  from_space.tell(moo::matrix(b2.size(), 2));
  CHECK(from_space.num_objectives() == 2);
  from_space.ask();
  CHECK_THROWS_AS(from_space.tell(moo::matrix(from_space.pending().size(), 3)), moo::dimension_error);
  CHECK_THROWS_AS(from_space.set_num_objectives(3), moo::dimension_error);
  CHECK_THROWS_AS(from_space.set_num_objectives(0), moo::value_error);
}

TEST_CASE("write_atomically: a failed write leaves the old file and no temporary behind") {
  temp_dir dir("atomic");
  const auto path = dir.path / "file.bin";
  moo::io::write_atomically(path, {std::string_view("old"), std::string_view(" content")});
  CHECK(moo::io::read_file(path) == "old content");
  auto tmp = path;
  tmp += ".tmp";
  fs::create_directories(tmp);  // the temporary cannot be created: the write fails
  CHECK_THROWS_WITH_AS(moo::io::write_atomically(path, "new"), doctest::Contains("file.bin.tmp"), moo::io_error);
  CHECK(moo::io::read_file(path) == "old content");
  fs::remove_all(tmp);
  moo::io::write_atomically(path, "new");
  CHECK(moo::io::read_file(path) == "new");
  CHECK_FALSE(fs::exists(tmp));
}

namespace {
// The fields of an NSGA-II state on ZDT1 whose genome 3 has 29 values: a file with a valid checksum whose
// genomes do not fit the space (fuzz finding: the next variation read out of bounds).
struct short_genome_state {
  template <class Visitor>
  void visit_state(Visitor& v) const {
    v.setting("population", std::size_t{8});
    v.setting("offspring", std::size_t{8});
    v.setting("initial", std::size_t{8});
    v.setting("space", moo::zdt1{}.space().description());
    v.field("num_objectives", std::size_t{2});
    v.field("rng", moo::rng(1));
    std::vector<moo::real_genome> genomes(8, moo::real_genome(30, 0.5));
    genomes[3].resize(29);
    v.field("genomes", genomes);
    v.field("objectives", moo::matrix(8, 2, 1.0));
    v.field("ranking", moo::survivors{{0, 1, 2, 3, 4, 5, 6, 7}, std::vector<std::size_t>(8, 0),
                                      std::vector<double>(8, 0.0)});
    v.field("pending", std::vector<moo::real_genome>{});
    v.field("asked", false);
    v.field("generation", std::size_t{1});
    v.field("evaluations", std::size_t{16});
    v.field("elapsed", 0.0);
    v.field("seeds", std::vector<moo::real_genome>{});
    v.field("declined", std::size_t{0});
    v.field("screened_out", std::size_t{0});
    v.field("rejected", std::size_t{0});
    v.policy("variation", moo::sbx_pm{});
    v.policy("survival", moo::nsga2_survival{});
    v.policy("mating", moo::binary_tournament{});
    v.policy("screening", moo::keep_all{});
  }
};
}  // namespace

TEST_CASE("a checkpoint whose genomes do not have the space's length is refused at load (fuzz finding)") {
  const auto bytes = moo::io::encode_checkpoint(short_genome_state{});
  auto fresh = moo::nsga2{{.population = 8, .seed = 1}}.start(moo::zdt1{});
  CHECK_THROWS_WITH_AS(moo::io::decode_checkpoint(bytes, "short.ckpt", fresh),
                       doctest::Contains("genome 3 has 29 values, the space 30"), moo::io_error);
  CHECK_FALSE(fresh.initialized());
}

TEST_CASE("MOEA/D's policy state is checked at load: a neighbour index past the subproblems is refused (fuzz finding)") {
  auto state = moo::moead<>{{.population = 12, .seed = 3}}.start(moo::dtlz2{2, 5});
  state.tell(moo::sequential_executor{}.evaluate(moo::dtlz2{2, 5}, std::span<const moo::real_genome>(state.ask())));
  const auto& good = state.survival_policy();
  std::ostringstream saved;
  good.save(saved);
  auto copy = good;
  {
    std::istringstream is(saved.str());
    copy.load(is);  // a good state loads
    CHECK(is);
  }
  // The same parts with one neighbour index out of range.
  std::istringstream parts(saved.str());
  auto weights = moo::io::read<moo::matrix>(parts);
  auto neighbours = moo::io::read<std::vector<std::vector<std::size_t>>>(parts);
  auto ideal = moo::io::read<std::vector<double>>(parts);
  auto from = moo::io::read<std::vector<bool>>(parts);
  REQUIRE(!neighbours.empty());
  neighbours[2][0] = 999;
  std::ostringstream hostile;
  moo::io::write(hostile, weights);
  moo::io::write(hostile, neighbours);
  moo::io::write(hostile, ideal);
  moo::io::write(hostile, from);
  std::istringstream is(hostile.str());
  CHECK_THROWS_WITH_AS(copy.load(is), doctest::Contains("subproblem 2 has neighbour 999"), moo::io_error);
}
