// A small non-dominance filter (minimization) for the limit sets of the hypervolume algorithms.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace moo::detail {

// true if a weakly dominates b (a <= b in every one of d objectives).
inline bool weakly_dominates(const double* a, const double* b, std::size_t d) {
  for (std::size_t i = 0; i < d; ++i)
    if (a[i] > b[i]) return false;
  return true;
}

// The same for a compile-time number of objectives M > 0, without branches; M == 0 uses d.
template <std::size_t M>
bool weakly_dominates_n(const double* a, const double* b, std::size_t d) {
  if constexpr (M == 0) {
    return weakly_dominates(a, b, d);
  } else {
    std::size_t i = 0;
    bool r = true;
#if defined(__SSE2__)
    for (; i + 2 <= M; i += 2)  // two objectives per compare
      r &= _mm_movemask_pd(_mm_cmple_pd(_mm_loadu_pd(a + i), _mm_loadu_pd(b + i))) == 3;
#endif
    for (; i < M; ++i) r &= a[i] <= b[i];
    return r;
  }
}

// Collects candidate points, then keeps those that no other candidate weakly dominates (of equal points,
// one), in no particular order.
//
// With corner masks (add(p, mask, bits)): a common corner c weakly dominates every candidate (for a
// limit set, c is its generating point), mask has bit i set iff p[i] > c[i], and bits counts the
// objectives where p exceeds c. Then u can dominate l only if mask(u) is a subset of mask(l).
// Candidates are visited by increasing bits, so a newcomer can only dominate kept points with an
// identical mask; for up to 8 objectives the kept points are bucketed by mask and a newcomer is
// compared only with the buckets of the subsets of its mask. Without masks (add(p)) it is a plain
// O(n k) filter. M > 0 fixes the number of objectives at compile time (it must equal the constructor's
// dimension).
template <std::size_t M = 0>
class nondominated_filter {
 public:
  explicit nondominated_filter(std::size_t dimension) : d_(M > 0 ? M : dimension) {}

  void clear() {
    count_ = 0;
    kept_.clear();
    with_masks_ = true;
  }

  // A candidate with its corner mask and the mask's popcount.
  void add(const double* p, std::uint64_t mask, std::uint32_t bits) {
    if (count_ == cmask_.size()) {
      const std::size_t cap = std::max<std::size_t>(16, 2 * count_);
      cand_.resize(cap * dim());
      cmask_.resize(cap);
      cbits_.resize(cap);
    }
    std::copy_n(p, dim(), cand_.data() + count_ * dim());
    cmask_[count_] = mask;
    cbits_[count_] = bits;
    ++count_;
  }

  // A candidate without corner mask.
  void add(const double* p) {
    with_masks_ = false;
    add(p, ~std::uint64_t{0}, 0);
  }

  // Replaces the kept set with the non-dominated candidates, ignoring those above `bound` (if given) in
  // some objective; the candidates are consumed.
  void reduce(const double* bound = nullptr) {
    kept_.clear();
    if (bound) {
      std::size_t out = 0;
      for (std::size_t i = 0; i < count_; ++i) {
        const double* p = cand_.data() + i * dim();
        bool beyond = false;
        for (std::size_t c = 0; c < dim(); ++c) beyond |= p[c] > bound[c];
        if (beyond) continue;
        if (out != i) {
          std::copy_n(p, dim(), cand_.data() + out * dim());
          cmask_[out] = cmask_[i];
          cbits_[out] = cbits_[i];
        }
        ++out;
      }
      count_ = out;
    }
    if (!with_masks_) std::fill_n(cmask_.begin(), count_, ~std::uint64_t{0});
    order_by_bits();
    if (!with_masks_ || dim() > max_bucketed)
      reduce_flat();
    else
      reduce_bucketed();
    data_.resize(kept_.size() * dim());
    for (std::size_t i = 0; i < kept_.size(); ++i)
      std::copy_n(cand_.data() + std::size_t{kept_[i]} * dim(), dim(),
                  data_.begin() + static_cast<std::ptrdiff_t>(i * dim()));
    count_ = 0;
  }

  std::size_t size() const { return data_.size() / dim(); }
  const double* data() const { return data_.data(); }

 private:
  static constexpr std::size_t max_bucketed = 8;

  // The number of objectives, a constant when M > 0 (so that copies and loops unroll).
  std::size_t dim() const {
    if constexpr (M > 0)
      return M;
    else
      return d_;
  }
  static constexpr std::uint32_t none = ~std::uint32_t{0};

  const double* cand(std::uint32_t i) const { return cand_.data() + std::size_t{i} * dim(); }

  // Counting sort of the candidate indices by popcount.
  void order_by_bits() {
    const std::size_t n = count_;
    std::array<std::uint32_t, 66> start{};
    for (std::size_t i = 0; i < n; ++i) ++start[std::min<std::size_t>(cbits_[i], 64) + 1];
    for (std::size_t b = 1; b < start.size(); ++b) start[b] += start[b - 1];
    order_.resize(n);
    for (std::size_t i = 0; i < n; ++i)
      order_[start[std::min<std::size_t>(cbits_[i], 64)]++] = static_cast<std::uint32_t>(i);
  }

  void reduce_flat() {
    for (std::uint32_t c : order_) {
      const double* l = cand(c);
      const std::uint64_t ml = cmask_[c];
      // One pass; if l turns out dominated nothing was dropped before (kept >= l >= kept is impossible).
      std::size_t out = 0;
      bool dominated = false;
      for (std::size_t i = 0; i < kept_.size(); ++i) {
        const std::uint32_t k = kept_[i];
        const std::uint64_t mu = cmask_[k];
        if ((mu & ~ml) == 0) {
          if (weakly_dominates_n<M>(cand(k), l, dim())) {
            dominated = true;
            break;
          }
          if (mu == ml && weakly_dominates_n<M>(l, cand(k), dim())) continue;
        }
        kept_[out++] = k;
      }
      if (dominated) continue;
      kept_.resize(out);
      kept_.push_back(c);
    }
  }

  void reduce_bucketed() {
    const std::size_t buckets = std::size_t{1} << dim();
    head_.assign(buckets, none);
    next_.resize(count_);
    for (std::uint32_t c : order_) {
      const double* l = cand(c);
      const std::uint64_t ml = cmask_[c];
      bool dominated = false;
      for (std::uint64_t s = (ml - 1) & ml; !dominated; s = (s - 1) & ml) {  // proper subsets of ml
        for (std::uint32_t k = head_[s]; k != none; k = next_[k])
          if (weakly_dominates_n<M>(cand(k), l, dim())) {
            dominated = true;
            break;
          }
        if (s == 0) break;
      }
      if (dominated) continue;
      // Same mask: either may dominate the other.
      std::uint32_t* link = &head_[ml];
      while (*link != none) {
        const std::uint32_t k = *link;
        if (weakly_dominates_n<M>(cand(k), l, dim())) {
          dominated = true;
          break;
        }
        if (weakly_dominates_n<M>(l, cand(k), dim()))
          *link = next_[k];
        else
          link = &next_[k];
      }
      if (dominated) continue;
      next_[c] = head_[ml];
      head_[ml] = c;
    }
    for (std::size_t s = 0; s < buckets; ++s)
      for (std::uint32_t k = head_[s]; k != none; k = next_[k]) kept_.push_back(k);
  }

  std::vector<double> cand_;
  std::vector<std::uint64_t> cmask_;
  std::vector<std::uint32_t> cbits_;
  std::vector<std::uint32_t> order_;
  std::vector<std::uint32_t> kept_;
  std::vector<std::uint32_t> head_;
  std::vector<std::uint32_t> next_;
  std::vector<double> data_;
  std::size_t d_;
  std::size_t count_ = 0;
  bool with_masks_ = true;
};

}  // namespace moo::detail
