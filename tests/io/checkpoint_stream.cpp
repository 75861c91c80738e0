// Checkpoints written without a joined copy and read in place: the bytes equal those of the original
// encoder (kept here as the reference) for small and large payloads, a loaded checkpoint saves back
// byte-identical, and the non-owning stream reads, seeks and fails like an istringstream.
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <sstream>
#include <string>
#include <string_view>

#include <unistd.h>

#include "support.hpp"
#include "moo/algorithm/nsga2.hpp"
#include "moo/io/checkpoint.hpp"
#include "moo/io/file.hpp"
#include "moo/io/serialize.hpp"
#include "moo/problems/zdt.hpp"

namespace {

namespace fs = std::filesystem;

using test_support::counter;
using test_support::temp_dir;

// The encoder as it was before checkpoints stopped copying their payload: payload in an ostringstream,
// copied into a string, then header and payload into a second ostringstream. The format is unchanged
// if the current code produces exactly these bytes.
template <class State, class... Extra>
std::string reference_encode(const State& state, const Extra&... extra) {
  std::ostringstream payload(std::ios::binary);
  moo::io::write(payload, std::string("moo.evolution"));
  moo::io::detail::checkpoint_writer w{payload};
  state.visit_state(w);
  const auto blobs = moo::io::detail::extra_blobs(extra...);
  moo::io::write(payload, blobs);
  const std::string body = std::move(payload).str();
  std::ostringstream out(std::ios::binary);
  out.write(moo::io::checkpoint_magic.data(), static_cast<std::streamsize>(moo::io::checkpoint_magic.size()));
  moo::io::detail::write_le<std::uint32_t>(out, moo::io::checkpoint_version);
  moo::io::detail::write_le<std::uint64_t>(out, body.size());
  moo::io::detail::write_le<std::uint64_t>(out, moo::io::fnv1a64(body));
  out.write(body.data(), static_cast<std::streamsize>(body.size()));
  return std::move(out).str();
}

// An NSGA-II state on ZDT1 with `variables` variables after `generations` generations.
auto make_state(std::size_t variables, std::uint64_t seed, std::size_t generations) {
  const moo::zdt1 problem(variables);
  const moo::nsga2 algo{{.population = 12, .generations = generations, .seed = seed}};
  auto state = algo.start(problem.space());
  for (std::size_t g = 0; g <= generations; ++g) {
    const auto& batch = state.ask();
    state.tell(moo::sequential_executor{}.evaluate(problem, std::span<const moo::real_genome>(batch)));
  }
  return state;
}


}  // namespace

TEST_CASE("checkpoint bytes are those of the original encoder; a loaded checkpoint saves back identical") {
  const std::uint64_t seed = 17;
  MESSAGE("seed " << seed);
  temp_dir dir("identical");
  // 30 variables (the usual ZDT1) and 20,000 (a payload of a few MB, like a population of networks).
  for (const std::size_t variables : {std::size_t{30}, std::size_t{20000}}) {
    CAPTURE(variables);
    auto state = make_state(variables, seed, 3);
    state.set_elapsed_seconds(2.5);
    const counter c{42};
    const std::string expected = reference_encode(state, c);
    CHECK(moo::io::encode_checkpoint(state, c) == expected);

    const auto path = dir.path / "run.ckpt";
    moo::io::save_checkpoint(path, state, c);
    CHECK_FALSE(fs::exists(dir.path / "run.ckpt.tmp"));
    CHECK(moo::io::read_file(path) == expected);
    if (variables > 1000) CHECK(expected.size() > 1'000'000);

    auto loaded = moo::nsga2{{.population = 12, .seed = 1}}.start(moo::zdt1(variables).space());
    counter d;
    moo::io::load_checkpoint(path, loaded, d);
    CHECK(d.n == 42);
    CHECK(loaded.genomes() == state.genomes());
    CHECK(loaded.objectives() == state.objectives());
    CHECK(loaded.random() == state.random());
    const auto again = dir.path / "again.ckpt";
    moo::io::save_checkpoint(again, loaded, d);
    CHECK(moo::io::read_file(again) == expected);

    // Decoding from a view of the bytes gives the same state as loading the file.
    auto decoded = moo::nsga2{{.population = 12, .seed = 1}}.start(moo::zdt1(variables).space());
    counter e;
    moo::io::decode_checkpoint(std::string_view(expected), "in memory", decoded, e);
    CHECK(decoded.genomes() == state.genomes());
    CHECK(e.n == 42);
  }
}

TEST_CASE("write_atomically writes its pieces in order, replacing the file") {
  temp_dir dir("pieces");
  const auto path = dir.path / "f.bin";
  moo::io::write_atomically(path, "old");
  const std::string big(100000, 'b');
  moo::io::write_atomically(path, {std::string_view("head:"), std::string_view(), big, std::string_view("\0end", 4)});
  CHECK(moo::io::read_file(path) == "head:" + big + std::string("\0end", 4));
  CHECK_FALSE(fs::exists(dir.path / "f.bin.tmp"));
  CHECK_THROWS_AS(moo::io::write_atomically(dir.path / "no" / "such" / "dir.bin", {std::string_view("x")}),
                  moo::io_error);
}

TEST_CASE("view_istream reads bytes in place, seeks, and fails at the end like an istringstream") {
  std::ostringstream os(std::ios::binary);
  moo::io::write(os, std::uint64_t{0x0102030405060708ULL});
  moo::io::write(os, std::string("architecture"));
  moo::io::write(os, 0.1);
  std::string bytes = std::move(os).str();

  moo::io::detail::view_istream is(bytes);
  std::istringstream copy(bytes, std::ios::binary);
  CHECK(moo::io::read<std::uint64_t>(is) == moo::io::read<std::uint64_t>(copy));
  CHECK(is.tellg() == copy.tellg());
  CHECK(moo::io::read<std::string>(is) == "architecture");
  CHECK(moo::io::read<double>(is) == 0.1);
  CHECK(is.peek() == std::char_traits<char>::eof());
  CHECK_THROWS_WITH_AS(moo::io::read<double>(is), doctest::Contains("data ends early"), moo::io_error);

  moo::io::detail::view_istream again(bytes);
  again.seekg(8);
  CHECK(moo::io::read<std::string>(again) == "architecture");
  again.seekg(-8, std::ios::end);
  CHECK(moo::io::read<double>(again) == 0.1);
  again.seekg(0, std::ios::beg);
  CHECK(again.tellg() == 0);
  again.seekg(1000);
  CHECK(again.fail());

  // Nothing is copied: the stream sees a change to the bytes made after it was built.
  moo::io::detail::view_istream live(bytes);
  bytes[0] = 0x7f;
  CHECK(moo::io::read<std::uint8_t>(live) == 0x7f);

  moo::io::detail::view_istream empty{std::string_view()};
  CHECK(empty.peek() == std::char_traits<char>::eof());
}
