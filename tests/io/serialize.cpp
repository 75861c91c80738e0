// Exact binary round trips of the checkpoint encoding and the genome customization point.
#include <doctest/doctest.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "moo/core/rng.hpp"
#include "moo/io/serialize.hpp"

namespace {

// A user genome: a layer list and a learning rate, stored through a serializer specialization.
struct net_genome {
  std::vector<int> layers;
  double learning_rate = 0;
  friend bool operator==(const net_genome&, const net_genome&) = default;
};

struct not_serializable {
  int x;
};

struct stateful_thing {
  int n = 0;
  void save(std::ostream& os) const { moo::io::write(os, n); }
  void load(std::istream& is) { n = moo::io::read<int>(is); }
};

struct save_only {
  void save(std::ostream&) const {}
};

template <class T>
T round_trip(const T& v) {
  std::stringstream ss(std::ios::in | std::ios::out | std::ios::binary);
  moo::io::write(ss, v);
  return moo::io::read<T>(ss);
}

}  // namespace

template <>
struct moo::io::serializer<net_genome> {
  static void write(std::ostream& os, const net_genome& g) {
    moo::io::write(os, g.layers);
    moo::io::write(os, g.learning_rate);
  }
  static net_genome read(std::istream& is) {
    net_genome g;
    g.layers = moo::io::read<std::vector<int>>(is);
    g.learning_rate = moo::io::read<double>(is);
    return g;
  }
};

static_assert(moo::io::serializable<double>);
static_assert(moo::io::serializable<std::vector<long>>);
static_assert(moo::io::serializable<std::vector<int>>);
static_assert(moo::io::serializable<std::vector<std::vector<std::size_t>>>);
static_assert(moo::io::serializable<net_genome>);
static_assert(moo::io::serializable<moo::matrix>);
static_assert(!moo::io::serializable<not_serializable>);
static_assert(!moo::io::serializable<long double>);
static_assert(moo::io::stateful<stateful_thing>);
static_assert(!moo::io::stateful<save_only>);
static_assert(!moo::io::stateful<not_serializable>);

TEST_CASE("doubles round-trip bit for bit, including signed zero, infinities, NaN payloads and subnormals") {
  const std::vector<double> values{0.0,
                                   -0.0,
                                   1.0 / 3.0,
                                   -2.5e-300,
                                   std::numeric_limits<double>::denorm_min(),
                                   std::numeric_limits<double>::max(),
                                   std::numeric_limits<double>::lowest(),
                                   std::numeric_limits<double>::infinity(),
                                   -std::numeric_limits<double>::infinity(),
                                   std::bit_cast<double>(std::uint64_t{0x7ff8'0000'dead'beefULL}),
                                   0x1.fffffffffffffp-1};
  const auto back = round_trip(values);
  REQUIRE(back.size() == values.size());
  for (std::size_t i = 0; i < values.size(); ++i)
    CHECK(std::bit_cast<std::uint64_t>(back[i]) == std::bit_cast<std::uint64_t>(values[i]));
  CHECK(std::signbit(round_trip(-0.0)));
  CHECK(round_trip(1.5f) == 1.5f);
}

TEST_CASE("integers keep their extremes; integer genomes round-trip") {
  CHECK(round_trip(std::numeric_limits<long>::min()) == std::numeric_limits<long>::min());
  CHECK(round_trip(std::numeric_limits<long>::max()) == std::numeric_limits<long>::max());
  CHECK(round_trip(std::numeric_limits<int>::min()) == std::numeric_limits<int>::min());
  CHECK(round_trip(std::numeric_limits<std::uint64_t>::max()) == std::numeric_limits<std::uint64_t>::max());
  CHECK(round_trip(std::int8_t{-128}) == -128);
  CHECK(round_trip(true));
  CHECK_FALSE(round_trip(false));
  const std::vector<long> g{-3, 0, 7, std::numeric_limits<long>::max()};
  CHECK(round_trip(g) == g);
  const std::vector<int> h{1, -2, 3};
  CHECK(round_trip(h) == h);
  const std::vector<bool> b{true, false, true, true};
  CHECK(round_trip(b) == b);
}

TEST_CASE("strings, pairs, arrays, nested vectors, matrices") {
  CHECK(round_trip(std::string("a\0b", 3)) == std::string("a\0b", 3));
  CHECK(round_trip(std::pair<int, double>{4, 0.1}) == std::pair<int, double>{4, 0.1});
  CHECK(round_trip(std::array<long, 3>{1, 2, 3}) == std::array<long, 3>{1, 2, 3});
  const std::vector<std::vector<std::size_t>> nested{{1, 2}, {}, {3}};
  CHECK(round_trip(nested) == nested);
  const moo::matrix m{{1.0, 2.0}, {0.1, -0.0}};
  CHECK(round_trip(m) == m);
  CHECK(round_trip(moo::matrix{}).empty());
}

TEST_CASE("a user genome type round-trips through its serializer specialization") {
  const net_genome g{{3, 64, 64, 10}, 0x1.999999999999ap-4};
  CHECK(round_trip(g) == g);
  const std::vector<net_genome> pop{g, {{1}, 0.5}};
  CHECK(round_trip(pop) == pop);
}

TEST_CASE("a restored rng continues the same stream") {
  const std::uint64_t seed = 42;
  MESSAGE("seed " << seed);
  moo::rng a(seed);
  for (int i = 0; i < 17; ++i) a();
  moo::rng b = round_trip(a);
  for (int i = 0; i < 100; ++i) CHECK(a() == b());
}

TEST_CASE("survivors round-trip") {
  const moo::survivors s{{3, 1, 2}, {0, 0, 1}, {std::numeric_limits<double>::infinity(), 0.25, 1.0}};
  const auto t = round_trip(s);
  CHECK(t.index == s.index);
  CHECK(t.rank == s.rank);
  CHECK(t.score == s.score);
}

TEST_CASE("reading past the end is an io_error saying what was read") {
  std::stringstream ss(std::ios::in | std::ios::out | std::ios::binary);
  moo::io::write(ss, std::vector<double>{1.0, 2.0, 3.0});
  std::string bytes = ss.str();
  bytes.resize(bytes.size() - 3);
  std::istringstream is(bytes, std::ios::binary);
  CHECK_THROWS_WITH_AS(moo::io::read<std::vector<double>>(is), doctest::Contains("ends early while reading a double"),
                       moo::io_error);
  std::istringstream bad_bool(std::string(1, '\x07'), std::ios::binary);
  CHECK_THROWS_WITH_AS(moo::io::read<bool>(bad_bool), doctest::Contains("bad bool byte 7"), moo::io_error);
  std::istringstream huge(std::string(8, '\xff'), std::ios::binary);
  CHECK_THROWS_WITH_AS(moo::io::read<std::vector<int>>(huge), doctest::Contains("implausible count"), moo::io_error);
}
