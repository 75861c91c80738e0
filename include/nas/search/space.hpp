// The starting networks of an architecture search: trivial Conv-BN-ReLU chains (LEMONADE starts from a
// few such networks, Elsken et al. 2019, sec. 5.1), drawn at random widths and depths, so the search
// grows them by morphisms. A space is a moo::search_space whose genome is a nas::candidate.
// Example:
//   nas::network_space space{{.input = {1, 28, 28}, .classes = 10}};
//   moo::rng r(1); nas::candidate c = space.sample(r);  // e.g. conv(8)-BN-ReLU-pool, conv(16)-..., GAP, linear
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "moo/core/error.hpp"
#include "moo/core/rng.hpp"
#include "nas/graph/architecture.hpp"
#include "nas/search/candidate.hpp"
#include "nas/train/layers/activation.hpp"
#include "nas/train/layers/batch_norm.hpp"
#include "nas/train/layers/conv2d.hpp"
#include "nas/train/layers/linear.hpp"
#include "nas/train/layers/pooling.hpp"

namespace nas {

struct network_space_options {
  graph::image_shape input{1, 28, 28};
  std::size_t classes = 10;
  std::vector<std::size_t> widths{8, 16};  // width of the first block; each later block doubles it
  std::size_t min_blocks = 1;              // Conv-BN-ReLU blocks, each followed by 2x2 max pooling
  std::size_t max_blocks = 2;              // while the feature map is at least 4x4
};

class network_space {
 public:
  using genome_type = candidate;

  explicit network_space(network_space_options o = {}) : opt_(std::move(o)) {
    if (opt_.widths.empty() || opt_.min_blocks == 0 || opt_.max_blocks < opt_.min_blocks || opt_.classes < 2)
      throw moo::value_error(moo::detail::message("network_space: needs widths, 1 <= min_blocks (", opt_.min_blocks,
                                                  ") <= max_blocks (", opt_.max_blocks, ") and >= 2 classes (",
                                                  opt_.classes, ")"));
  }

  const network_space_options& options() const { return opt_; }

  // The trivial network with first-block width `width` and `blocks` blocks, weights drawn from r.
  graph::architecture trivial(std::size_t width, std::size_t blocks, moo::rng& r) const {
    graph::architecture a(opt_.input);
    std::size_t c = opt_.input[0], h = opt_.input[1], w = opt_.input[2];
    graph::node_id cur = a.input();
    for (std::size_t b = 0; b < blocks; ++b) {
      const std::size_t out = width << b;
      cur = a.add(train::conv2d({.in_channels = c, .out_channels = out, .kernel = 3, .padding = 1, .bias = false}, r),
                  {cur});
      cur = a.add(train::batch_norm({.channels = out}), {cur});
      cur = a.add(train::relu{}, {cur});
      if (h >= 4 && w >= 4) {
        cur = a.add(train::max_pool2d({.kernel = 2}), {cur});
        h /= 2;
        w /= 2;
      }
      c = out;
    }
    cur = a.add(train::global_avg_pool{}, {cur});
    a.add(train::linear({.in_features = c, .out_features = opt_.classes}, r), {cur}, "classifier");
    a.validate();
    return a;
  }

  // The space as checkpoints record it: the input shape and the number of classes, which every network
  // of a population must share (a resume with another input or class count is refused).
  std::string description() const {
    return moo::detail::message("network_space, input ", opt_.input[0], "x", opt_.input[1], "x", opt_.input[2],
                                ", classes ", opt_.classes);
  }

  // A random trivial network with a random id, ready to be trained.
  candidate sample(moo::rng& r) const {
    const std::size_t width = opt_.widths[static_cast<std::size_t>(r.index(opt_.widths.size()))];
    const auto blocks = static_cast<std::size_t>(
        r.integer(static_cast<std::int64_t>(opt_.min_blocks), static_cast<std::int64_t>(opt_.max_blocks)));
    const auto id = new_id(r);
    return candidate{.net = trivial(width, blocks, r), .id = id, .op = "initial"};
  }

  // A fresh non-zero 32-bit id.
  static std::uint32_t new_id(moo::rng& r) {
    for (;;)
      if (const auto id = static_cast<std::uint32_t>(r.index(std::uint64_t{1} << 32)); id != 0) return id;
  }

 private:
  network_space_options opt_;
};

}  // namespace nas
