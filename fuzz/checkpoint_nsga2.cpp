// Fuzz target: checkpoint bytes of an NSGA-II run on ZDT1 (real genomes) with a stateful run argument
// (hypervolume_stagnation), through moo::io::decode_checkpoint; a loaded state then runs two
// generations, so a consistent-looking but wrong state (bad ranking indices, genome lengths) is caught.
#include <cstddef>
#include <cstdint>
#include <span>

#include "checkpoint_common.hpp"
#include "moo/algorithm/nsga2.hpp"
#include "moo/algorithm/termination.hpp"
#include "moo/execution/sequential.hpp"
#include "moo/problems/zdt.hpp"

namespace {

const moo::zdt1 problem{4};

moo::hypervolume_stagnation stagnation() { return {.reference = {11, 11}, .generations = 3, .tolerance = 1e-3}; }

auto fresh_state() { return moo::nsga2{{.population = 8, .seed = 1}}.start(problem); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::both_headers(fuzz::bytes(data, size), [](std::string_view b) {
    auto state = fresh_state();
    auto stag = stagnation();
    moo::io::decode_checkpoint(b, "fuzz.ckpt", state, stag);
    if (!fuzz::resume_checks(state, problem)) return;
    moo::sequential_executor ex;
    for (int g = 0; g < 2; ++g) {
      const auto& batch = state.ask();
      if (batch.empty()) break;
      state.tell(ex.evaluate(problem, std::span<const moo::real_genome>(batch)));
      (void)stag.done(state, moo::run_info{});
      (void)stag.fraction(state, moo::run_info{});
    }
  });
  return 0;
}
