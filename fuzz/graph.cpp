// Fuzz target: an architecture's graph JSON and its weights file (nas/graph/serialize.hpp), given as
// one input: the JSON text, a NUL byte, then the weights bytes (no NUL: JSON only). An accepted graph is
// used (shapes, counts, forward and backward pass when small) and must write back to JSON that loads
// to the same JSON; the weights are loaded as given and with their record checksums fixed, and an
// architecture that takes them is run again.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "arch_common.hpp"
#include "nas/graph/serialize.hpp"

namespace {

[[noreturn]] void inconsistent(const char* what, const std::string& detail) {
  std::fprintf(stderr, "graph fuzz: %s: %s\n", what, detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto [json, weights] = fuzz::split_nul(fuzz::bytes(data, size));
  std::optional<nas::graph::architecture> a;
  try {
    a.emplace(nas::graph::from_json(json, "fuzz.json"));
  } catch (const moo::error&) {
    return 0;
  }
  // What was accepted writes back and loads back to the same text.
  try {
    const std::string again = nas::graph::to_json(*a);
    const std::string twice = nas::graph::to_json(nas::graph::from_json(again, "round trip"));
    if (twice != again) inconsistent("to_json(from_json(to_json(a))) differs from to_json(a)", again + "\n---\n" + twice);
  } catch (const moo::error& e) {
    inconsistent("an accepted graph does not write and load back", e.what());
  }
  try {
    fuzz::use_architecture(*a, /*default_weights=*/true);
  } catch (const moo::error&) {
  }
  if (weights.empty() && json.size() == size) return 0;
  const std::string fixed = fuzz::with_fixed_crcs(weights);
  for (const std::string_view w : {weights, std::string_view(fixed)}) {
    auto b = *a;
    try {
      nas::graph::weights_from_bytes(b, w, "fuzz.weights");
      fuzz::use_architecture(b);
    } catch (const moo::error&) {
    }
    if (fixed == weights) break;
  }
  return 0;
}
