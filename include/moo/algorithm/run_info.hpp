// What the run loop knows about a run besides its state, handed to termination policies and callbacks.
#pragma once

namespace moo {

// Wall time and progress of a run. elapsed_seconds includes the time spent before a resume (it is
// kept in checkpoints); fraction_done is the termination's estimate in [0, 1] (0 when unknown).
struct run_info {
  double elapsed_seconds = 0.0;
  double fraction_done = 0.0;
  bool resumed = false;  // the run continues a state that had already started (e.g. from a checkpoint)
};

}  // namespace moo
