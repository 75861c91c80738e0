// The 64-ary key set of the 3-D sweeps against std::set on random insert/erase sequences, with sizes
// that need one, two and three levels.
#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <set>

#include "moo/core/rng.hpp"
#include "moo/indicators/detail/key_set.hpp"

TEST_CASE("key_set: next and prev agree with std::set") {
  const std::uint64_t seed = 14900;
  MESSAGE("seed ", seed);
  moo::rng r(seed);
  constexpr std::size_t none = moo::detail::key_set::none;
  for (const std::size_t n : {1, 2, 63, 64, 65, 4095, 4096, 4097, 300000}) {
    moo::detail::key_set keys(n);
    std::set<std::size_t> oracle;
    for (int step = 0; step < 4000; ++step) {
      const std::size_t i = r.index(n);
      if (r.bernoulli(0.55)) {
        keys.insert(i);
        oracle.insert(i);
      } else {
        keys.erase(i);
        oracle.erase(i);
      }
      const std::size_t j = r.index(n);
      const auto up = oracle.lower_bound(j);
      const auto down = oracle.upper_bound(j);
      INFO("n = ", n, ", step ", step, ", query ", j);
      CHECK(keys.contains(j) == (oracle.count(j) == 1));
      CHECK(keys.next(j) == (up == oracle.end() ? none : *up));
      CHECK(keys.prev(j) == (down == oracle.begin() ? none : *std::prev(down)));
    }
  }
}
