// The MODNAS search of the modnas target and of its seeds (make_corpus): a tiny super-network (1x8x8
// input, 3 classes, 2 channels, 2 cells of 2 nodes: 6 edges), two devices with hand-made latency tables,
// a synthetic data set of 48 images (32 training, 16 validation), batches of 8, a 20-step pretraining
// fit; so a checkpoint is about 10 KB and a search is built in well under a millisecond of fitting.
#pragma once

#include <utility>
#include <vector>

#include "nas/modnas/search.hpp"
#include "nas/train/data.hpp"

namespace fuzz {

inline nas::modnas::supernet_options modnas_space() {
  return {.in_channels = 1, .height = 8, .width = 8, .classes = 3, .channels = 2, .cells = 2, .nodes = 2};
}

inline std::vector<nas::modnas::device> modnas_devices() {
  std::vector<nas::modnas::device> d(2);
  d[0] = {.name = "a", .candidates = modnas_space().candidates, .latency = {0, 1, 2, 5, 10, 3}, .features = {0.0, 1.0}};
  d[1] = {.name = "b", .candidates = modnas_space().candidates, .latency = {0, 2, 4, 10, 20, 6}, .features = {1.0, 0.0}};
  return d;
}

inline const std::pair<nas::train::dataset, nas::train::dataset>& modnas_data() {
  static const auto data = [] {
    const auto d = nas::train::synthetic_dataset({.samples = 48, .classes = 3, .channels = 1, .height = 8, .width = 8, .seed = 1});
    return nas::train::split(d, 16.0 / 48.0, 1);
  }();
  return data;
}

inline nas::modnas::search_options modnas_options() {
  return {.steps = 4, .batch_size = 8, .warmup_steps = 1, .pretrain_steps = 20, .seed = 1};
}

inline nas::modnas::search modnas_search() {
  return nas::modnas::search(modnas_space(), {.hidden = {4}}, modnas_devices(), modnas_data().first, modnas_data().second,
                             modnas_options());
}

}  // namespace fuzz
