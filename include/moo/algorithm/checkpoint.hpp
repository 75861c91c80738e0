// Checkpointing a run: pass a moo::checkpoint to run() and the whole state is written atomically every
// `every` generations (also after the initial population, when the run ends or is stopped, and when
// an evaluation fails); evolver::resume continues from the file. Example:
//   const moo::nsga2 algo{{.population = 100, .generations = 250, .seed = 1}};
//   auto res = algo.run(moo::zdt1{}, moo::checkpoint{.path = "run.ckpt", .every = 10});
//   // ... killed? then, with the same options and problem:
//   auto res = algo.resume("run.ckpt", moo::zdt1{}, moo::checkpoint{.path = "run.ckpt", .every = 10});
// A resumed run ends bit-identical to an uninterrupted one with the same seed. Policies, terminations
// and callbacks that keep state take part through save(std::ostream&) const / load(std::istream&).
#pragma once

#include <cstddef>
#include <filesystem>

#include "moo/core/error.hpp"
#include "moo/io/checkpoint.hpp"

namespace moo {

// Where and how often to checkpoint a run (a run argument, recognised by the evolver).
struct checkpoint {
  std::filesystem::path path;
  std::size_t every = 1;  // generations between checkpoints

  // Throws value_error unless the path is set and every > 0.
  void validate() const {
    if (path.empty()) throw value_error("checkpoint: the path is empty");
    if (every == 0) throw value_error(detail::message("checkpoint '", path.string(), "': every must be positive, got 0"));
  }
};

}  // namespace moo
