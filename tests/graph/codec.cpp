// moo/io/codec.hpp, the one little-endian codec and the checksums shared by moo's checkpoints and the
// nas graph weights files: check values of CRC-32 and FNV-1a 64, agreement with boost::crc_32_type
// (which the weights files used before) and with checkpoint.hpp's FNV-1a, byte_writer / byte_reader
// round trips and bounds checks. (Here because the weights format is its main client.)
#include <doctest/doctest.h>

#include <array>
#include <bit>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <boost/crc.hpp>

#include "moo/core/rng.hpp"
#include "moo/io/checkpoint.hpp"
#include "moo/io/codec.hpp"

namespace codec = moo::io::codec;

TEST_CASE("codec: CRC-32 check values, zlib-style continuation, and agreement with boost::crc_32_type") {
  CHECK(codec::crc32("") == 0u);
  CHECK(codec::crc32("123456789") == 0xCBF43926u);
  CHECK(codec::crc32("The quick brown fox jumps over the lazy dog") == 0x414FA339u);
  CHECK(codec::crc32("456789", codec::crc32("123")) == 0xCBF43926u);
  const std::uint64_t seed = 5;
  MESSAGE("seed ", seed);
  moo::rng r(seed);
  for (int trial = 0; trial < 50; ++trial) {
    std::string s(r.index(3000), '\0');
    for (char& c : s) c = static_cast<char>(r.index(256));
    boost::crc_32_type b;
    b.process_bytes(s.data(), s.size());
    CHECK(codec::crc32(s) == b.checksum());
  }
}

TEST_CASE("codec: FNV-1a 64 check values, the same function checkpoints use") {
  CHECK(codec::fnv1a64("") == 0xcbf29ce484222325ULL);
  CHECK(codec::fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(codec::fnv1a64("foobar") == 0x85944171f73967e8ULL);
  for (const std::string& s : std::vector<std::string>{"", "x", "moo checkpoint payload", std::string(1000, '\xff')})
    CHECK(codec::fnv1a64(s) == moo::io::fnv1a64(s));
}

TEST_CASE("codec: little-endian store and load at every width, independent of the host") {
  unsigned char b[8];
  codec::store_le<std::uint32_t>(b, 0x04030201u);
  CHECK((b[0] == 1 && b[1] == 2 && b[2] == 3 && b[3] == 4));
  CHECK(codec::load_le<std::uint32_t>(b) == 0x04030201u);
  codec::store_le<std::uint64_t>(b, 0x8877665544332211ULL);
  CHECK((b[0] == 0x11 && b[7] == 0x88));
  CHECK(codec::load_le<std::uint64_t>(b) == 0x8877665544332211ULL);
  CHECK(codec::load_le<std::uint16_t>(b) == 0x2211u);
  std::string s;
  codec::put_le<std::uint16_t>(s, 0xBEEF);
  CHECK(s == "\xEF\xBE");
  static_assert(codec::load_le<std::uint8_t>(std::array<unsigned char, 1>{7}.data()) == 7);
}

TEST_CASE("codec: byte_writer and byte_reader round trip; reads past the end fail naming source and context") {
  codec::byte_writer w;
  w.u8(9);
  w.u32(0xDEADBEEFu);
  w.u64(std::uint64_t{1} << 40);
  w.f32(-0.0f);
  w.f64(std::numeric_limits<double>::denorm_min());
  w.str("conv1");
  const std::vector<float> fs{1.5f, std::numeric_limits<float>::quiet_NaN(), -3.0f};
  w.floats(fs);
  w.raw("end");
  CHECK(w.bytes.size() == 1 + 4 + 8 + 4 + 8 + (8 + 5) + (8 + 12) + 3);

  codec::byte_reader r(w.bytes, "file 'x.w'");
  CHECK(r.u8() == 9);
  CHECK(r.u32() == 0xDEADBEEFu);
  CHECK(r.u64() == std::uint64_t{1} << 40);
  CHECK(std::bit_cast<std::uint32_t>(r.f32()) == std::bit_cast<std::uint32_t>(-0.0f));
  CHECK(r.f64() == std::numeric_limits<double>::denorm_min());
  CHECK(r.str() == "conv1");
  const auto back = r.floats();
  REQUIRE(back.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) CHECK(std::bit_cast<std::uint32_t>(back[i]) == std::bit_cast<std::uint32_t>(fs[i]));
  CHECK(r.raw(3) == "end");
  CHECK(r.at_end());
  r.set_context("the trailer");
  CHECK_THROWS_WITH_AS(r.u8(), "file 'x.w': truncated (in the trailer)", moo::io_error);

  // A count or length beyond what is left is refused before anything is allocated.
  codec::byte_writer big;
  big.u64(std::uint64_t{1} << 60);
  codec::byte_reader counts(big.bytes, "file 'y.w'");
  CHECK_THROWS_WITH_AS(counts.floats(), "file 'y.w': truncated", moo::io_error);
  codec::byte_reader lengths(big.bytes, "file 'y.w'");
  CHECK_THROWS_WITH_AS(lengths.str(), doctest::Contains("implausible string length"), moo::io_error);
}
