// The tiny LEMONADE search whose checkpoints the checkpoint_lemonade target reads and make_corpus
// writes: 8x8 one-channel images, two classes, one Conv-BN-ReLU block of width 2 to start from,
// parameters and MACs as objectives (cheap, so no validation set is needed).
#pragma once

#include "nas/lemonade.hpp"
#include "nas/objectives.hpp"
#include "nas/train/data.hpp"

namespace fuzz {

inline nas::lemonade_options lemonade_tiny() {
  return {.generations = 2,
          .children = 4,
          .accepted = 2,
          .initial = 2,
          .seed = 3,
          .caps = {.max_parameters = 2000},
          .space = {.input = {1, 8, 8}, .classes = 2, .widths = {2}, .min_blocks = 1, .max_blocks = 1},
          .training = {.epochs = 0.5, .initial_epochs = 0.5, .batch_size = 8, .lr = 0.05,
                       .distill = {.epochs = 0, .max_steps = 1, .batch_size = 8}, .seed = 3}};
}

inline nas::lemonade<nas::parameter_count, nas::mac_count> lemonade_search() {
  return nas::lemonade(lemonade_tiny(), nas::parameter_count{}, nas::mac_count{});
}

inline const nas::train::dataset& lemonade_data() {
  static const nas::train::dataset d =
      nas::train::synthetic_dataset({.samples = 16, .classes = 2, .height = 8, .width = 8, .seed = 3});
  return d;
}

}  // namespace fuzz
