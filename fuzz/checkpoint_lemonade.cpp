// Fuzz target: checkpoint bytes of a tiny LEMONADE search (lemonade_setup.hpp): candidate genomes with
// lineage, graph JSON, node order and weights, a teacher, and the KDE policies' state. Every network
// of a loaded state is used (shapes, compile, forward/backward when small) and the state is asked for
// its next batch (morphisms of the loaded networks), so an architecture that loads but is broken shows up.
#include <cstddef>
#include <cstdint>

#include "arch_common.hpp"
#include "checkpoint_common.hpp"
#include "lemonade_setup.hpp"

namespace {

const auto search = fuzz::lemonade_search();
const auto problem = search.problem(fuzz::lemonade_data());
const auto fresh = search.evolver().start(problem);

void use(const nas::candidate& c) {
  fuzz::use_architecture(c.net);
  if (c.teacher) fuzz::use_architecture(*c.teacher);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzz::both_headers(fuzz::bytes(data, size), [](std::string_view b) {
    auto state = fresh;
    moo::io::decode_checkpoint(b, "fuzz.ckpt", state);
    if (!fuzz::resume_checks(state, problem)) return;
    for (const auto& c : state.genomes()) use(c);
    for (const auto& c : state.pending()) use(c);
    for (const auto& c : state.ask()) use(c);
  });
  return 0;
}
