// Regression tests of what fuzzing found in the readers of a saved super-network and of a measurement
// cache (fuzz/supernet.cpp, fuzz/measurement_cache.cpp; fuzz/README.md, findings 7 and 8; the reproducers
// are in fuzz/findings/supernet/ and fuzz/findings/measurement_cache/).
#include <doctest/doctest.h>

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

#include "moo/core/error.hpp"
#include "moo/io/codec.hpp"
#include "moo/io/file.hpp"
#include "nas/supernet/cache.hpp"
#include "nas/supernet/serialize.hpp"
#include "support.hpp"

namespace {

// A one-stage super-network of one channel: its file is 725 bytes.
nas::supernet_options fuzz_reg_one_stage() {
  return {.input = {1, 2, 2}, .classes = 2, .stem_channels = 1, .stem_pool = false, .stage_channels = {1},
          .min_depth = 1, .max_depth = 1, .kernels = {1}, .widths = {1.0}};
}

// Byte offsets of the header fields of a one-stage file (magic 8, version 4, then u64 fields).
constexpr std::size_t fuzz_reg_input0 = 12, fuzz_reg_classes = 36, fuzz_reg_max_depth = 77;

// bytes with the u64 at `at` set to v and the trailing CRC-32 recomputed (a valid file as far as the
// checksum goes).
std::string fuzz_reg_patched(std::string bytes, std::size_t at, std::uint64_t v) {
  moo::io::codec::store_le(reinterpret_cast<unsigned char*>(bytes.data() + at), v);
  const std::uint32_t crc = moo::io::codec::crc32(std::string_view(bytes).substr(0, bytes.size() - 4));
  moo::io::codec::store_le(reinterpret_cast<unsigned char*>(bytes.data() + bytes.size() - 4), crc);
  return bytes;
}

// A measurement cache of net in context "ctx" at path, with m inserted for each configuration.
void fuzz_reg_cache_with(const std::filesystem::path& path, const nas::supernet& net, const nas::measurement& m,
                         std::initializer_list<moo::integer_genome> configs) {
  nas::measurement_cache c(path, net, "ctx");
  for (const auto& g : configs) c.insert(g, m);
}

}  // namespace

TEST_CASE("a supernet file whose options need more weights than it holds is refused before they are allocated") {
  const std::string good = nas::supernet_to_bytes(nas::supernet(fuzz_reg_one_stage(), 1));
  REQUIRE(good.size() == 725);
  CHECK_NOTHROW((void)nas::supernet_from_bytes(fuzz_reg_patched(good, fuzz_reg_classes, 2), "same.bin"));
  // Each asked for terabytes (or overflowed xtensor's strides) while building the network, before the
  // weights were read: ASan allocation-size-too-big, UBSan signed overflow, or a std::bad_alloc /
  // std::length_error escaping instead of an io_error.
  for (const auto& [at, v] : {std::pair{fuzz_reg_classes, std::uint64_t{1} << 40},
                              std::pair{fuzz_reg_max_depth, std::uint64_t{1} << 40},
                              std::pair{fuzz_reg_max_depth, std::uint64_t{1} << 62},
                              std::pair{fuzz_reg_input0, std::uint64_t{1} << 40},
                              std::pair{fuzz_reg_input0, std::uint64_t{1} << 61}}) {
    CAPTURE(at);
    CAPTURE(v);
    const std::string msg =
        test_support::error_of<moo::io_error>([&] { (void)nas::supernet_from_bytes(fuzz_reg_patched(good, at, v), "huge.bin"); });
    CHECK(msg.find("huge.bin") != std::string::npos);
  }
}

TEST_CASE("a measurement cache whose last line has no newline takes an insert and loads again") {
  test_support::temp_dir dir("fuzz_reg_cache");
  const nas::supernet net(fuzz_reg_one_stage(), 1);
  const auto path = dir / "cache.csv";
  const nas::measurement first{.error = 0.25, .latency = 1e-5, .macs = 3, .params = 4, .latency_batch = 1, .latency_threads = 1};
  fuzz_reg_cache_with(path, net, first, {net.smallest()});
  std::string text = moo::io::read_file(path);
  REQUIRE(text.back() == '\n');
  text.pop_back();  // as an editor or another writer may leave it
  test_support::write_bytes(path, text);
  const nas::measurement second{.error = 0.5, .latency = 2e-5, .macs = 3, .params = 4, .latency_batch = 8, .latency_threads = 2};
  {
    nas::measurement_cache c(path, net, "ctx");
    CHECK(c.size() == 1);
    c.insert(net.smallest(), second);  // used to be appended to the last line: "...,1,11,0,...,8,2"
  }
  const nas::measurement_cache again(path, net, "ctx");
  CHECK(again.size() == 2);
  const auto a = again.find(net.smallest(), true, 1, 1), b = again.find(net.smallest(), true, 8, 2);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->error == first.error);
  CHECK(b->error == second.error);

  // A file that is refused is left as it is (no newline added to someone else's file).
  const std::string foreign = "# moo-nas supernet measurement cache, version 1\n# supernet: another";
  test_support::write_bytes(path, foreign);
  CHECK_THROWS_AS(nas::measurement_cache(path, net, "ctx"), moo::io_error);
  CHECK(moo::io::read_file(path) == foreign);
}

TEST_CASE("a measurement cache whose last line was cut by a kill drops that line and keeps the others") {
  test_support::temp_dir dir("fuzz_reg_cut");
  const nas::supernet net(fuzz_reg_one_stage(), 1);
  const auto path = dir / "cache.csv";
  const nas::measurement m{.error = 0.25, .latency = 1e-5, .macs = 3, .params = 4, .latency_batch = 1, .latency_threads = 1};
  fuzz_reg_cache_with(path, net, m, {net.smallest(), net.largest()});
  const std::string whole = moo::io::read_file(path);
  const std::size_t last = whole.rfind('\n', whole.size() - 2) + 1;  // the start of the last line
  for (const std::size_t keep : {std::size_t{1}, (whole.size() - last) / 2, whole.size() - last - 4}) {
    CAPTURE(keep);
    test_support::write_bytes(path, whole.substr(0, last + keep));  // killed inside the second append
    {
      nas::measurement_cache c(path, net, "ctx");
      CHECK(c.size() == 1);
      CHECK(c.find(net.smallest(), true, 1, 1));
      CHECK(moo::io::read_file(path) == whole.substr(0, last));  // the cut line is gone from the file
      c.insert(net.largest(), m);
    }
    CHECK(moo::io::read_file(path) == whole);
  }
}
