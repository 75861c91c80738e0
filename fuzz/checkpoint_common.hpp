// The checkpoint targets' shared step: decode the input as it is, then again with its header's payload
// length and checksum made to fit (so mutations of the payload reach the field parsers instead of
// stopping at the checksum), each into a fresh state; a state that loads is then used by the target, so a
// checkpoint that is accepted but inconsistent shows up as a crash in the search, not later.
#pragma once

#include <string>
#include <string_view>

#include "common.hpp"
#include "moo/core/error.hpp"
#include "moo/io/checkpoint.hpp"

namespace fuzz {

// The bytes with the header's payload length and checksum set to those of the payload.
inline std::string with_fixed_header(std::string_view in) {
  std::string s(in);
  if (s.size() < moo::io::checkpoint_header_size) return s;
  const std::string_view body = std::string_view(s).substr(moo::io::checkpoint_header_size);
  put_le(s, 12, body.size(), 8);
  put_le(s, 20, moo::io::fnv1a64(body), 8);
  return s;
}

// Calls load_and_use(bytes) with the input and with its header fixed (when that changes it), catching moo::error.
template <class LoadAndUse>
void both_headers(std::string_view input, LoadAndUse load_and_use) {
  try {
    load_and_use(input);
  } catch (const moo::error&) {
  }
  const std::string fixed = with_fixed_header(input);
  if (fixed == input) return;
  try {
    load_and_use(std::string_view(fixed));
  } catch (const moo::error&) {
  }
}

// What evolver::resume_on does after loading a checkpoint: a file written for another number of
// objectives is refused (here: not used), else the state adopts the problem's. False when refused.
template <class State, class Problem>
bool resume_checks(State& state, const Problem& p) {
  if (state.num_objectives() != 0 && state.num_objectives() != p.num_objectives()) return false;
  if (state.num_objectives() == 0) state.set_num_objectives(p.num_objectives());
  return true;
}

}  // namespace fuzz
