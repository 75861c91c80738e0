// The super-network of the supernet and measurement_cache targets and of their seeds (make_corpus): a
// tiny one (1x4x4 input, stem 2 channels, stages of at most 2 and 4 channels, depth 1..2, kernels 1 or 3,
// widths 1/2 or 1), so a valid file is about 2 KB and a cache line has 10 genes; and the measurement
// context its cache files are written for.
#pragma once

#include "nas/supernet/supernet.hpp"

namespace fuzz {

inline nas::supernet_options supernet_tiny() {
  return {.input = {1, 4, 4}, .classes = 2, .stem_channels = 2, .stem_pool = false, .stage_channels = {2, 4},
          .min_depth = 1, .max_depth = 2, .kernels = {1, 3}, .widths = {0.5, 1.0}};
}

inline constexpr const char* cache_context = "calibration 2 batches of 8 seed 1, weights 0x1234abcd";

}  // namespace fuzz
