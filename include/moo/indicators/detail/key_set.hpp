// An ordered set of small integer keys (a 64-ary bit tree): insert, erase, successor and predecessor in
// O(log_64 n) word operations, for sweeps whose keys are the ranks of known coordinates.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace moo::detail {

// Keys in [0, n). Level 0 holds one bit per key; bit j of word w at level h+1 is set iff word 64 w + j
// of level h is non-zero, so a search climbs until a word has a candidate bit and descends along the
// lowest (successor) or highest (predecessor) set bits.
// Example: key_set s(100); s.insert(3); s.insert(70); s.next(4) == 70; s.prev(69) == 3.
class key_set {
 public:
  static constexpr std::size_t none = std::numeric_limits<std::size_t>::max();

  explicit key_set(std::size_t n) {
    do {
      n = (n + 63) / 64;
      levels_.emplace_back(n, 0);
    } while (n > 1);
  }

  void insert(std::size_t i) {
    for (auto& level : levels_) {
      level[i >> 6] |= std::uint64_t{1} << (i & 63);
      i >>= 6;
    }
  }

  void erase(std::size_t i) {
    for (auto& level : levels_) {
      level[i >> 6] &= ~(std::uint64_t{1} << (i & 63));
      if (level[i >> 6] != 0) break;
      i >>= 6;
    }
  }

  bool contains(std::size_t i) const { return (levels_[0][i >> 6] >> (i & 63)) & 1; }

  // The smallest key >= i, or none.
  std::size_t next(std::size_t i) const {
    for (std::size_t h = 0; h < levels_.size(); ++h) {
      if ((i >> 6) >= levels_[h].size()) break;
      const std::uint64_t word = levels_[h][i >> 6] >> (i & 63);
      if (word == 0) {
        i = (i >> 6) + 1;
        continue;
      }
      i += static_cast<std::size_t>(std::countr_zero(word));
      for (std::size_t g = h; g-- > 0;)
        i = (i << 6) + static_cast<std::size_t>(std::countr_zero(levels_[g][i]));
      return i;
    }
    return none;
  }

  // The largest key <= i, or none.
  std::size_t prev(std::size_t i) const {
    for (std::size_t h = 0; h < levels_.size() && i != none; ++h) {
      const std::uint64_t word = levels_[h][i >> 6] << (63 - (i & 63));
      if (word == 0) {
        i = (i >> 6) - 1;  // wraps to none below key 0
        continue;
      }
      i -= static_cast<std::size_t>(std::countl_zero(word));
      for (std::size_t g = h; g-- > 0;)
        i = (i << 6) + 63 - static_cast<std::size_t>(std::countl_zero(levels_[g][i]));
      return i;
    }
    return none;
  }

 private:
  std::vector<std::vector<std::uint64_t>> levels_;
};

}  // namespace moo::detail
