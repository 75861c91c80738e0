// Issue 10 item 11: an evaluation_error names the failing genome exactly, so it can be rebuilt from the
// message (every value, shortest round-trip form), not 12 values at 10 digits.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "moo/core/describe.hpp"
#include "moo/execution/sequential.hpp"
#include "moo/genome/real.hpp"

namespace {

// Reads the numbers of "[a, b, ...]" back.
std::vector<double> parse_list(const std::string& s) {
  std::vector<double> out;
  const char* p = s.c_str() + s.find('[') + 1;
  while (*p != ']') {
    char* end = nullptr;
    out.push_back(std::strtod(p, &end));
    p = end;
    while (*p == ',' || *p == ' ') ++p;
  }
  return out;
}

// Fails for every genome whose first value is negative.
struct picky {
  using genome_type = moo::real_genome;
  moo::real_space box = moo::real_space::uniform(20, -1.0, 1.0);
  std::size_t num_objectives() const { return 1; }
  const moo::real_space& space() const { return box; }
  void evaluate(const genome_type& x, std::span<double> out) const {
    if (x[0] < 0) throw std::runtime_error("negative first value");
    out[0] = x[0];
  }
};

}  // namespace

TEST_CASE("describe prints every value of a numeric genome in a form that reads back bit for bit") {
  std::vector<double> g;
  for (int i = 0; i < 20; ++i) g.push_back(std::nextafter(1.0 / (i + 3), 1.0) * (i % 2 ? -1 : 1));
  g.push_back(std::numeric_limits<double>::denorm_min());
  g.push_back(1e300);
  g.push_back(-0.0);
  const std::string s = moo::detail::describe(g);
  const auto back = parse_list(s);
  REQUIRE(back.size() == g.size());
  for (std::size_t i = 0; i < g.size(); ++i) {
    CHECK(back[i] == g[i]);
    CHECK(std::signbit(back[i]) == std::signbit(g[i]));
  }
  CHECK(moo::detail::describe(std::vector<long>{-3, 0, 9223372036854775807L}) == "[-3, 0, 9223372036854775807]");
  CHECK(moo::detail::describe(std::vector<double>{0.1, 1.0 / 3}) == "[0.1, 0.3333333333333333]");
}

TEST_CASE("an evaluation_error's message rebuilds the failing genome exactly") {
  const picky p;
  moo::rng r(4);
  std::vector<moo::real_genome> batch;
  for (int i = 0; i < 3; ++i) batch.push_back(p.space().sample(r));
  batch[0][0] = 0.5;
  batch[1][0] = -1.0 / 7;
  batch[2][0] = 0.25;
  try {
    moo::sequential_executor{}.evaluate(p, std::span<const moo::real_genome>(batch));
    FAIL("no evaluation_error");
  } catch (const moo::evaluation_error& e) {
    const std::string what = e.what();
    const auto line = what.substr(what.find("#1 "));
    CHECK(parse_list(line) == batch[1]);
    REQUIRE(e.failures().size() == 1);
    CHECK(parse_list(e.failures()[0].genome) == batch[1]);
  }
}
