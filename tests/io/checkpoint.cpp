// Checkpoint files: exact round trip of a search state, refusal of truncated, corrupted and foreign files
// with a clear io_error, and the previous checkpoint kept intact.
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

#include "support.hpp"
#include "moo/algorithm/nsga2.hpp"
#include "moo/io/checkpoint.hpp"
#include "moo/io/file.hpp"
#include "moo/problems/zdt.hpp"

namespace {

namespace fs = std::filesystem;

using test_support::counter;
using test_support::temp_dir;
using test_support::write_bytes;

// An NSGA-II state on ZDT1 after `generations` generations driven by ask/tell.
auto make_state(std::uint64_t seed, std::size_t generations) {
  const moo::nsga2 algo{{.population = 12, .generations = generations, .seed = seed}};
  auto state = algo.start(moo::zdt1{}.space());
  for (std::size_t g = 0; g <= generations; ++g) {
    const auto& batch = state.ask();
    state.tell(moo::sequential_executor{}.evaluate(moo::zdt1{}, std::span<const moo::real_genome>(batch)));
  }
  return state;
}


}  // namespace

TEST_CASE("a saved state loads back field for field and asks the same next batch") {
  const std::uint64_t seed = 11;
  MESSAGE("seed " << seed);
  temp_dir dir("roundtrip");
  auto state = make_state(seed, 4);
  state.set_elapsed_seconds(1.25);
  const auto path = dir.path / "run.ckpt";
  counter c{7};
  moo::io::save_checkpoint(path, state, c);
  CHECK_FALSE(fs::exists(dir.path / "run.ckpt.tmp"));

  auto loaded = moo::nsga2{{.population = 12, .seed = 999}}.start(moo::zdt1{}.space());
  counter d;
  moo::io::load_checkpoint(path, loaded, d);
  CHECK(d.n == 7);
  CHECK(loaded.genomes() == state.genomes());
  CHECK(loaded.objectives() == state.objectives());
  CHECK(loaded.ranking().rank == state.ranking().rank);
  CHECK(loaded.ranking().score == state.ranking().score);
  CHECK(loaded.generation() == 4);
  CHECK(loaded.evaluations() == state.evaluations());
  CHECK(loaded.elapsed_seconds() == 1.25);
  CHECK(loaded.random() == state.random());
  CHECK(loaded.ask() == state.ask());
}

TEST_CASE("a checkpoint taken between ask and tell keeps the pending batch") {
  temp_dir dir("pending");
  auto state = make_state(3, 2);
  const auto batch = state.ask();
  const auto path = dir.path / "run.ckpt";
  moo::io::save_checkpoint(path, state);
  auto loaded = moo::nsga2{{.population = 12, .seed = 3}}.start(moo::zdt1{}.space());
  moo::io::load_checkpoint(path, loaded);
  CHECK(loaded.ask() == batch);
  CHECK(loaded.random() == state.random());
}

TEST_CASE("truncated, corrupted and foreign checkpoints are refused, naming the file, and change nothing") {
  temp_dir dir("refuse");
  const auto state = make_state(5, 3);
  const auto path = dir.path / "run.ckpt";
  moo::io::save_checkpoint(path, state);
  const std::string good = moo::io::read_file(path);
  const auto bad = dir.path / "bad.ckpt";

  auto target = moo::nsga2{{.population = 12, .seed = 5}}.start(moo::zdt1{}.space());
  const auto before_rng = target.random();
  auto refused = [&](const std::string& bytes, const char* why) {
    write_bytes(bad, bytes);
    CAPTURE(why);
    CHECK_THROWS_WITH_AS(moo::io::load_checkpoint(bad, target), doctest::Contains(bad.string().c_str()), moo::io_error);
    CHECK_THROWS_WITH_AS(moo::io::load_checkpoint(bad, target), doctest::Contains(why), moo::io_error);
    CHECK_FALSE(target.initialized());
    CHECK(target.random() == before_rng);
  };
  refused("", "truncated: 0 bytes");
  refused(good.substr(0, 20), "shorter than the 28-byte header");
  refused(good.substr(0, 40), "truncated: the header announces");
  refused(good.substr(0, good.size() - 1), "truncated");
  refused(good + "x", "bytes after the announced payload");
  std::string flipped = good;
  flipped[good.size() / 2] ^= 0x10;
  refused(flipped, "does not match its checksum");
  std::string magic = good;
  magic[0] = 'X';
  refused(magic, "bad magic header");
  std::string version = good;
  version[8] = 9;
  refused(version, "format version 9");
  refused("{\"generation\": 3}\n and some more text to pass the header", "bad magic");

  CHECK_THROWS_WITH_AS(moo::io::load_checkpoint(dir.path / "missing.ckpt", target),
                       doctest::Contains("missing.ckpt"), moo::io_error);
}

TEST_CASE("a checkpoint of a different run is refused: population, stateful arguments") {
  temp_dir dir("mismatch");
  const auto path = dir.path / "run.ckpt";
  moo::io::save_checkpoint(path, make_state(2, 1));
  auto other = moo::nsga2{{.population = 14, .seed = 2}}.start(moo::zdt1{}.space());
  CHECK_THROWS_WITH_AS(moo::io::load_checkpoint(path, other),
                       doctest::Contains("written with population = 12, this run has population = 14"), moo::io_error);
  auto same = moo::nsga2{{.population = 12, .seed = 2}}.start(moo::zdt1{}.space());
  counter c;
  CHECK_THROWS_WITH_AS(moo::io::load_checkpoint(path, same, c),
                       doctest::Contains("state of 0 stateful run arguments, this run passes 1"), moo::io_error);
  CHECK_FALSE(same.initialized());
}

TEST_CASE("saving keeps the previous checkpoint; a damaged one is refused and the previous one loads") {
  temp_dir dir("previous");
  const auto path = dir.path / "run.ckpt";
  auto prev = path;
  prev += ".prev";
  const auto first = make_state(8, 2);
  const auto second = make_state(8, 3);
  moo::io::save_checkpoint(path, first);
  CHECK_FALSE(fs::exists(prev));
  const std::string first_bytes = moo::io::read_file(path);
  moo::io::save_checkpoint(path, second);
  CHECK(moo::io::read_file(prev) == first_bytes);
  CHECK(moo::io::read_file(path) == moo::io::encode_checkpoint(second));

  std::string damaged = moo::io::read_file(path);
  damaged.resize(damaged.size() / 2);
  write_bytes(path, damaged);
  auto target = moo::nsga2{{.population = 12, .seed = 8}}.start(moo::zdt1{}.space());
  CHECK_THROWS_WITH_AS(moo::io::load_checkpoint(path, target), doctest::Contains("is intact"), moo::io_error);
  CHECK(moo::io::read_file(prev) == first_bytes);
  moo::io::load_checkpoint(prev, target);
  CHECK(target.generation() == 2);
  CHECK(target.objectives() == first.objectives());
}

TEST_CASE("FNV-1a-64 matches its published test vectors") {
  CHECK(moo::io::fnv1a64("") == 0xcbf29ce484222325ULL);
  CHECK(moo::io::fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(moo::io::fnv1a64("foobar") == 0x85944171f73967e8ULL);
}
