// Fuzz target: a measurement cache file (nas/supernet/cache.hpp: measurement_cache), written to a scratch
// file that the cache's constructor loads, for the tiny super-network of supernet_setup.hpp and its
// context. A cache that loads is asked for a few configurations (with and without latency), then gets one
// measurement inserted (appended to the file); opened again, the file must load with one measurement
// more, and the inserted one must come back exactly.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "common.hpp"
#include "moo/core/rng.hpp"
#include "nas/supernet/cache.hpp"
#include "supernet_setup.hpp"

namespace {

[[noreturn]] void inconsistent(const char* what, const std::string& detail) {
  std::fprintf(stderr, "measurement_cache fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

const nas::supernet& net() {
  static const nas::supernet n(fuzz::supernet_tiny(), 1);
  return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto path = fuzz::scratch_dir("measurement_cache") / "cache.csv";
  fuzz::write_file(path, fuzz::bytes(data, size));
  std::optional<nas::measurement_cache> cache;
  try {
    cache.emplace(path, net(), fuzz::cache_context);
  } catch (const moo::error&) {
    return 0;
  }
  moo::rng r(size);
  const moo::integer_genome inserted = net().random(r);
  for (const auto& x : {net().smallest(), net().largest(), inserted}) {
    (void)cache->find(x, false, 0, 0);
    (void)cache->find(x, true, 1, 1);
  }
  const std::size_t before = cache->size();
  const nas::measurement m{.error = 0.1 + 1e-17 * static_cast<double>(size), .latency = 1.5e-4, .macs = net().macs(inserted),
                           .params = net().parameter_count(inserted), .latency_batch = 7, .latency_threads = 3};
  try {
    cache->insert(inserted, m);
  } catch (const moo::error& e) {
    inconsistent("insert into a loaded cache failed", e.what());
  }
  cache.reset();
  try {
    const nas::measurement_cache again(path, net(), fuzz::cache_context);
    if (again.size() != before + 1)
      inconsistent("reopened after an insert, the size is not one more",
                   moo::detail::message(again.size(), " vs ", before, " + 1"));
    const auto back = again.find(inserted, true, 7, 3);
    if (!back || back->error != m.error || back->latency != m.latency || back->macs != m.macs || back->params != m.params)
      inconsistent("the inserted measurement does not come back", net().describe(inserted));
  } catch (const moo::error& e) {
    inconsistent("a loaded cache does not load again after an insert", e.what());
  }
  return 0;
}
