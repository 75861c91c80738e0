// Sorting points by one objective in linear time: an order-preserving integer key for doubles and a
// least-significant-digit radix sort of (key, index) pairs, for the sweeps of sorting and hypervolume.
#pragma once

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace moo::detail {

// An unsigned key with the order of the doubles: key(a) < key(b) iff a < b, for finite or infinite
// values (not NaN); -0.0 and 0.0 get the same key.
inline std::uint64_t order_key(double v) {
  const auto bits = std::bit_cast<std::uint64_t>(v + 0.0);  // -0.0 + 0.0 == +0.0
  return (bits >> 63) != 0 ? ~bits : bits | (std::uint64_t{1} << 63);
}

// A key and the index of its point.
struct keyed_index {
  std::uint64_t key;
  std::uint32_t index;
};

// Sorts items by key, stably, in O(n) passes of 8 bits (digits equal in every key are skipped);
// `scratch` is the second buffer (its contents are left unspecified; the two may be swapped). Below 256
// items, std::sort with the index as tie-break (the same order).
inline void radix_sort(std::vector<keyed_index>& items, std::vector<keyed_index>& scratch) {
  const std::size_t n = items.size();
  if (n < 256) {
    std::sort(items.begin(), items.end(), [](const keyed_index& a, const keyed_index& b) {
      return a.key < b.key || (a.key == b.key && a.index < b.index);
    });
    return;
  }
  std::array<std::array<std::uint32_t, 256>, 8> count{};
  for (const keyed_index& it : items)
    for (std::size_t d = 0; d < 8; ++d) ++count[d][(it.key >> (8 * d)) & 0xff];
  scratch.resize(n);
  keyed_index* from = items.data();
  keyed_index* to = scratch.data();
  for (std::size_t d = 0; d < 8; ++d) {
    auto& c = count[d];
    if (c[(from[0].key >> (8 * d)) & 0xff] == n) continue;  // one value of this digit: order unchanged
    std::uint32_t sum = 0;
    for (auto& x : c) {
      const std::uint32_t k = x;
      x = sum;
      sum += k;
    }
    for (std::size_t i = 0; i < n; ++i) to[c[(from[i].key >> (8 * d)) & 0xff]++] = from[i];
    std::swap(from, to);
  }
  if (from != items.data()) items.swap(scratch);
}

}  // namespace moo::detail
