// Helpers shared by the searcher tests (lemonade.cpp, nash.cpp).
#pragma once

#include <sstream>
#include <string>

#include "moo/algorithm/result.hpp"
#include "moo/io/serialize.hpp"
#include "nas/search/candidate.hpp"
#include "nas/train/data.hpp"

namespace nas_test {

// Tiny synthetic train and validation sets (4 classes of 1x12x12 images).
struct fixture {
  nas::train::dataset train = nas::train::synthetic_dataset({.samples = 192, .classes = 4, .height = 12, .width = 12, .seed = 3});
  nas::train::dataset val = nas::train::synthetic_dataset({.samples = 96, .classes = 4, .height = 12, .width = 12, .seed = 4});
};

// Bytes of a result's genomes and objectives, to compare runs bit for bit.
inline std::string fingerprint(const moo::result<nas::candidate>& r) {
  std::ostringstream os(std::ios::binary);
  moo::io::write(os, r.genomes);
  moo::io::write(os, r.objectives);
  return os.str();
}

}  // namespace nas_test
