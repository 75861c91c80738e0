// Fuzz target: checkpoint bytes of a MOEA/D run on DTLZ2 (3 objectives), whose survival policy keeps
// its own state in the checkpoint (weights, neighbourhoods, ideal point, pool choices); a loaded state
// then runs two generations, so policy state that loads but does not fit the population is caught.
#include <cstddef>
#include <cstdint>
#include <span>

#include "checkpoint_common.hpp"
#include "moo/algorithm/moead.hpp"
#include "moo/execution/sequential.hpp"
#include "moo/problems/dtlz.hpp"

namespace {

const moo::dtlz2 problem{3, 2};

auto fresh_state() { return moo::moead<>{{.population = 15, .seed = 1}}.start(problem); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::both_headers(fuzz::bytes(data, size), [](std::string_view b) {
    auto state = fresh_state();
    moo::io::decode_checkpoint(b, "fuzz.ckpt", state);
    if (!fuzz::resume_checks(state, problem)) return;
    moo::sequential_executor ex;
    for (int g = 0; g < 2; ++g) {
      const auto& batch = state.ask();
      if (batch.empty()) break;
      state.tell(ex.evaluate(problem, std::span<const moo::real_genome>(batch)));
    }
  });
  return 0;
}
