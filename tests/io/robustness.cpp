// Corrupt or hostile checkpoint contents are refused with io_error, and a refused load changes nothing.
#include <doctest/doctest.h>

#include <cstdint>
#include <sstream>
#include <string>

#include "support.hpp"
#include "moo/algorithm/nsga2.hpp"
#include "moo/io/checkpoint.hpp"
#include "moo/io/results.hpp"
#include "moo/io/serialize.hpp"
#include "moo/problems/zdt.hpp"

namespace {

using test_support::counter;

// Reads more bytes than counter writes: its load fails on a counter's blob.
struct wider {
  long long v = 0;
  void save(std::ostream& os) const { moo::io::write(os, v); }
  void load(std::istream& is) { v = moo::io::read<long long>(is); }
};

std::string with_size(std::uint64_t n) {
  std::ostringstream os(std::ios::binary);
  moo::io::write(os, n);
  return std::move(os).str();
}

}  // namespace

TEST_CASE("serialize: an absurd length is a truncated read (io_error), not a huge allocation") {
  {
    std::istringstream is(with_size(std::uint64_t{1} << 39) + "abc", std::ios::binary);
    CHECK_THROWS_AS(moo::io::read<std::string>(is), moo::io_error);
  }
  {
    std::istringstream is(with_size(std::uint64_t{1} << 20) + with_size(std::uint64_t{1} << 20) + "x",
                          std::ios::binary);
    CHECK_THROWS_AS(moo::io::read<moo::matrix>(is), moo::io_error);
  }
}

TEST_CASE("serialize: an all-zero random engine state is refused") {
  std::istringstream is(std::string(32, '\0'), std::ios::binary);
  CHECK_THROWS_WITH_AS(moo::io::read<moo::rng>(is), doctest::Contains("all zero"), moo::io_error);
}

TEST_CASE("checkpoint: when a later run argument fails to load, the state and earlier arguments are unchanged") {
  const moo::zdt1 p;
  const moo::nsga2 algo{{.population = 8, .seed = 1}};
  auto st = algo.start(p.space());
  moo::sequential_executor ex;
  for (int g = 0; g < 3; ++g) st.tell(ex.evaluate(p, std::span<const moo::real_genome>(st.ask())));
  const counter c1{5}, c2{6};
  const auto bytes = moo::io::encode_checkpoint(st, c1, c2);

  auto fresh = algo.start(p.space());
  counter d1{0};
  wider d2{0};
  CHECK_THROWS_WITH_AS(moo::io::decode_checkpoint(bytes, "x.ckpt", fresh, d1, d2),
                       doctest::Contains("x.ckpt"), moo::io_error);
  CHECK_FALSE(fresh.initialized());
  CHECK(d1.n == 0);
  counter e2{0};
  moo::io::decode_checkpoint(bytes, "x.ckpt", fresh, d1, e2);
  CHECK(fresh.generation() == st.generation());
  CHECK(d1.n == 5);
  CHECK(e2.n == 6);
}

namespace {
int variation_calls = 0, fail_at = -1;

// SBX + PM that throws once, at call number fail_at.
struct flaky : moo::sbx_pm {
  std::array<moo::real_genome, 2> operator()(const moo::real_space& s, const moo::real_genome& a,
                                             const moo::real_genome& b, moo::rng& r) const {
    if (variation_calls++ == fail_at) throw moo::value_error("transient failure");
    return moo::sbx_pm::operator()(s, a, b, r);
  }
};
}  // namespace

TEST_CASE("ask: a variation that throws leaves the rng as it was, so the retried batch is the same") {
  using flaky_nsga2 = moo::evolver<flaky, moo::nsga2_survival, moo::binary_tournament>;
  const moo::zdt1 p;
  moo::sequential_executor ex;
  auto run = [&](int fail) {
    variation_calls = 0;
    fail_at = fail;
    auto st = flaky_nsga2{{.population = 8, .seed = 1}}.start(p.space());
    for (int g = 0; g < 4; ++g) {
      const std::vector<moo::real_genome>* batch = nullptr;
      try {
        batch = &st.ask();
      } catch (const moo::value_error&) {
        batch = &st.ask();
      }
      st.tell(ex.evaluate(p, std::span<const moo::real_genome>(*batch)));
    }
    return st.objectives();
  };
  CHECK(run(-1) == run(6));
}

TEST_CASE("results: rows past the end are refused; shorter genomes leave empty CSV cells") {
  moo::result<std::vector<long>> r;
  r.genomes = {{1, 2, 3}, {4}};
  r.objectives = moo::matrix{{0.5, 1.0}, {1.0, 0.5}};
  r.rank = {0, 0};
  CHECK_THROWS_WITH_AS(moo::io::to_csv(r, {5}), doctest::Contains("row 5"), moo::value_error);
  CHECK_THROWS_AS(moo::io::to_json(r, {2}), moo::value_error);
  CHECK(moo::io::to_csv(r) == "f1,f2,x1,x2,x3\n0.5,1,1,2,3\n1,0.5,4,,\n");
}

namespace {
// Writes the fields of an NSGA-II state in the same order and types, but with 3 objective rows for 8
// genomes: a file with a valid checksum whose parts disagree.
struct inconsistent_state {
  template <class Visitor>
  void visit_state(Visitor& v) const {
    v.setting("population", std::size_t{8});
    v.setting("offspring", std::size_t{8});
    v.setting("initial", std::size_t{8});
    v.setting("space", moo::zdt1{}.space().description());
    v.field("num_objectives", std::size_t{2});
    v.field("rng", moo::rng(1));
    v.field("genomes", std::vector<moo::real_genome>(8, moo::real_genome(30, 0.5)));
    v.field("objectives", moo::matrix(3, 2, 1.0));
    v.field("ranking", moo::survivors{std::vector<std::size_t>(8, 0), std::vector<std::size_t>(8, 0),
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

TEST_CASE("checkpoint: a file whose parts disagree is refused even with a valid checksum") {
  const auto bytes = moo::io::encode_checkpoint(inconsistent_state{});
  auto fresh = moo::nsga2{{.population = 8, .seed = 1}}.start(moo::zdt1{}.space());
  CHECK_THROWS_WITH_AS(moo::io::decode_checkpoint(bytes, "bad.ckpt", fresh), doctest::Contains("3 objective rows"),
                       moo::io_error);
  CHECK_FALSE(fresh.initialized());
}
