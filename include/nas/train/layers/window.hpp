// Geometry of window operations (convolution, pooling) on NCHW planes, and the im2col / col2im
// transforms with which a convolution becomes a matrix product over chunks of output columns.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

#include "nas/train/kernels.hpp"

namespace nas::train {
namespace detail {

// Geometry of a 2-D window operation (convolution or pooling) on one image plane.
struct window {
  std::size_t h, w;        // input plane
  std::size_t oh, ow;      // output plane
  std::size_t k, stride, pad;
  std::size_t in_plane() const { return h * w; }
  std::size_t out_plane() const { return oh * ow; }
};

// Output extent of a window of size k over n with stride and padding (0 when the window does not fit).
inline std::size_t window_out(std::size_t n, std::size_t k, std::size_t stride, std::size_t pad) {
  return n + 2 * pad < k ? 0 : (n + 2 * pad - k) / stride + 1;
}

// A range of output columns (image-major: column j = n * out_plane + position) processed as one unit.
struct column_chunk {
  std::size_t j0, j1;
};

// Splits n images x `plane` output positions into chunks of about `target` columns: whole images when a
// plane is smaller than the target, otherwise pieces of one image (only if `split_images` allows it).
// At least `min_chunks` chunks are made when the work allows it.
inline void plan_chunks(std::size_t n, std::size_t plane, std::size_t target, std::size_t min_chunks,
                        bool split_images, std::vector<column_chunk>& out) {
  out.clear();
  const std::size_t total = n * plane;
  if (total == 0) return;
  target = std::max<std::size_t>(1, std::min(target, (total + min_chunks - 1) / min_chunks));
  if (plane >= target && split_images) {
    const std::size_t pieces = (plane + target - 1) / target;
    const std::size_t step = (plane + pieces - 1) / pieces;
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t p = 0; p < plane; p += step) out.push_back({i * plane + p, i * plane + std::min(plane, p + step)});
  } else {
    const std::size_t per = std::max<std::size_t>(1, target / plane);
    for (std::size_t i = 0; i < n; i += per) out.push_back({i * plane, std::min(n, i + per) * plane});
  }
}

// Calls f(n, oh, ow, len, offset) for the runs of consecutive output columns of [j0, j1) that lie on one
// output row; offset is the run's first column relative to j0.
template <class F>
void for_each_row_run(const window& g, std::size_t j0, std::size_t j1, F&& f) {
  const std::size_t plane = g.out_plane();
  std::size_t j = j0;
  std::size_t n = j / plane, q = j % plane;
  std::size_t oh = q / g.ow, ow = q % g.ow;
  while (j < j1) {
    const std::size_t len = std::min(g.ow - ow, j1 - j);
    f(n, oh, ow, len, j - j0);
    j += len;
    ow = 0;
    if (++oh == g.oh) {
      oh = 0;
      ++n;
    }
  }
}

// For output columns ow .. ow+len-1 of a row and kernel column kw, the sub-range [t0, t1) of the run
// whose input column iw = (ow+t)*stride - pad + kw lies inside [0, w).
inline void valid_run(const window& g, std::size_t ow, std::size_t len, std::size_t kw, std::size_t& t0,
                      std::size_t& t1) {
  // iw >= 0  <=>  (ow+t)*s + kw >= pad;  iw < w  <=>  (ow+t)*s + kw < w + pad
  const auto s = static_cast<std::ptrdiff_t>(g.stride);
  const auto lo = static_cast<std::ptrdiff_t>(g.pad) - static_cast<std::ptrdiff_t>(kw);       // (ow+t)*s >= lo
  const auto hi = static_cast<std::ptrdiff_t>(g.w + g.pad) - static_cast<std::ptrdiff_t>(kw);  // (ow+t)*s < hi
  const auto o = static_cast<std::ptrdiff_t>(ow);
  std::ptrdiff_t a = lo <= 0 ? 0 : (lo + s - 1) / s;  // first output column with col*s >= lo
  std::ptrdiff_t b = hi <= 0 ? 0 : (hi + s - 1) / s;  // first output column with col*s >= hi
  a = std::clamp<std::ptrdiff_t>(a - o, 0, static_cast<std::ptrdiff_t>(len));
  b = std::clamp<std::ptrdiff_t>(b - o, 0, static_cast<std::ptrdiff_t>(len));
  t0 = static_cast<std::size_t>(a);
  t1 = static_cast<std::size_t>(std::max(a, b));
}

// True for a stride-1 window whose output plane equals its input plane ("same" padding): then row
// (kh, kw) of the column matrix is the input plane shifted by (kh - pad) * w + (kw - pad), so it can be
// copied as one contiguous range with the wrapped-around edge columns fixed up.
inline bool same_stride1(const window& g) { return g.stride == 1 && g.oh == g.h && g.ow == g.w && g.k == 2 * g.pad + 1; }

// For a shift (dy, dx) of an h x w plane and output positions [q0, q1): the sub-range [lo, hi) whose
// source q + dy * w + dx lies in a valid row and inside the plane.
inline void shifted_range(const window& g, std::ptrdiff_t dy, std::ptrdiff_t dx, std::size_t q0, std::size_t q1,
                          std::size_t& lo, std::size_t& hi) {
  const auto h = static_cast<std::ptrdiff_t>(g.h), w = static_cast<std::ptrdiff_t>(g.w);
  const std::ptrdiff_t off = dy * w + dx;
  std::ptrdiff_t a = std::max<std::ptrdiff_t>(0, -dy) * w, b = std::min(h, h - dy) * w;
  a = std::max({a, static_cast<std::ptrdiff_t>(q0), -off});
  b = std::min({b, static_cast<std::ptrdiff_t>(q1), h * w - off});
  a = std::min(a, static_cast<std::ptrdiff_t>(q1));  // a shift past the whole range leaves it empty
  lo = static_cast<std::size_t>(a);
  hi = static_cast<std::size_t>(std::max(a, b));
}

// Calls f(q) for the positions q in [lo, hi) whose column ow + dx falls outside the plane.
template <class F>
void for_each_wrapped(const window& g, std::ptrdiff_t dx, std::size_t lo, std::size_t hi, F&& f) {
  if (dx == 0 || lo >= hi) return;
  const auto w = static_cast<std::ptrdiff_t>(g.w);
  for (std::size_t row = lo / g.w * g.w; row < hi; row += g.w) {
    // bad columns: [0, -dx) when dx < 0, [w - dx, w) when dx > 0
    const std::ptrdiff_t c0 = dx < 0 ? 0 : w - dx, c1 = dx < 0 ? -dx : w;
    for (std::ptrdiff_t c = c0; c < c1; ++c) {
      const std::size_t q = row + static_cast<std::size_t>(c);
      if (q >= lo && q < hi) f(q);
    }
  }
}

// im2col for same_stride1 windows.
inline void im2col_same(const float* x, std::size_t c_total, const window& g, std::size_t c0, std::size_t cs,
                        std::size_t j0, std::size_t j1, float* col, std::size_t ld) {
  const std::size_t plane = g.out_plane(), k = g.k;
  for (std::size_t n = j0 / plane; n * plane < j1; ++n) {
    const std::size_t q0 = std::max(j0, n * plane) - n * plane, q1 = std::min(j1, (n + 1) * plane) - n * plane;
    const std::size_t base = n * plane + q0 - j0;  // column of q0 in the chunk
    for (std::size_t c = 0; c < cs; ++c) {
      const float* xp = x + (n * c_total + c0 + c) * plane;
      for (std::size_t kh = 0; kh < k; ++kh)
        for (std::size_t kw = 0; kw < k; ++kw) {
          const std::ptrdiff_t dy = static_cast<std::ptrdiff_t>(kh) - static_cast<std::ptrdiff_t>(g.pad);
          const std::ptrdiff_t dx = static_cast<std::ptrdiff_t>(kw) - static_cast<std::ptrdiff_t>(g.pad);
          float* d = col + ((c * k + kh) * k + kw) * ld + base;  // d[q - q0] for q in [q0, q1)
          std::size_t lo, hi;
          shifted_range(g, dy, dx, q0, q1, lo, hi);
          std::fill(d, d + (lo - q0), 0.0f);
          if (hi > lo)
            std::memcpy(d + (lo - q0), xp + static_cast<std::ptrdiff_t>(lo) + dy * static_cast<std::ptrdiff_t>(g.w) + dx,
                        (hi - lo) * sizeof(float));
          std::fill(d + (std::max(lo, hi) - q0), d + (q1 - q0), 0.0f);
          for_each_wrapped(g, dx, lo, hi, [&](std::size_t q) { d[q - q0] = 0.0f; });
        }
    }
  }
}

// col2im_add for same_stride1 windows; zeroes the wrapped-around entries of col first.
inline void col2im_add_same(float* col, std::size_t ld, std::size_t c_total, const window& g, std::size_t c0,
                            std::size_t cs, std::size_t j0, std::size_t j1, float* dx_all) {
  const std::size_t plane = g.out_plane(), k = g.k;
  for (std::size_t n = j0 / plane; n * plane < j1; ++n) {
    const std::size_t q0 = std::max(j0, n * plane) - n * plane, q1 = std::min(j1, (n + 1) * plane) - n * plane;
    const std::size_t base = n * plane + q0 - j0;
    for (std::size_t c = 0; c < cs; ++c) {
      float* dxp = dx_all + (n * c_total + c0 + c) * plane;
      for (std::size_t kh = 0; kh < k; ++kh)
        for (std::size_t kw = 0; kw < k; ++kw) {
          const std::ptrdiff_t dy = static_cast<std::ptrdiff_t>(kh) - static_cast<std::ptrdiff_t>(g.pad);
          const std::ptrdiff_t dx = static_cast<std::ptrdiff_t>(kw) - static_cast<std::ptrdiff_t>(g.pad);
          float* s = col + ((c * k + kh) * k + kw) * ld + base;  // s[q - q0]
          std::size_t lo, hi;
          shifted_range(g, dy, dx, q0, q1, lo, hi);
          for_each_wrapped(g, dx, lo, hi, [&](std::size_t q) { s[q - q0] = 0.0f; });
          if (hi > lo)
            add_to(dxp + static_cast<std::ptrdiff_t>(lo) + dy * static_cast<std::ptrdiff_t>(g.w) + dx, s + (lo - q0), hi - lo);
        }
    }
  }
}

// Writes the column matrix of input channels [c0, c0 + cs) for output columns [j0, j1): row
// (c * k + kh) * k + kw, column j - j0, row stride `ld`. x is the whole NCHW input with c_total channels.
inline void im2col(const float* x, std::size_t c_total, const window& g, std::size_t c0, std::size_t cs,
                   std::size_t j0, std::size_t j1, float* col, std::size_t ld) {
  const std::size_t k = g.k;
  if (same_stride1(g)) {
    im2col_same(x, c_total, g, c0, cs, j0, j1, col, ld);
    return;
  }
  for (std::size_t c = 0; c < cs; ++c)
    for (std::size_t kh = 0; kh < k; ++kh)
      for (std::size_t kw = 0; kw < k; ++kw) {
        float* dst = col + ((c * k + kh) * k + kw) * ld;
        for_each_row_run(g, j0, j1, [&](std::size_t n, std::size_t oh, std::size_t ow, std::size_t len, std::size_t off) {
          float* d = dst + off;
          const std::ptrdiff_t ih = static_cast<std::ptrdiff_t>(oh * g.stride + kh) - static_cast<std::ptrdiff_t>(g.pad);
          if (ih < 0 || ih >= static_cast<std::ptrdiff_t>(g.h)) {
            std::fill(d, d + len, 0.0f);
            return;
          }
          const float* src = x + ((n * c_total + c0 + c) * g.h + static_cast<std::size_t>(ih)) * g.w;
          std::size_t t0, t1;
          valid_run(g, ow, len, kw, t0, t1);
          std::fill(d, d + t0, 0.0f);
          const std::ptrdiff_t base = static_cast<std::ptrdiff_t>(kw) - static_cast<std::ptrdiff_t>(g.pad);
          if (g.stride == 1) {
            const float* s = src + (static_cast<std::ptrdiff_t>(ow + t0) + base);
            std::memcpy(d + t0, s, (t1 - t0) * sizeof(float));
          } else {
            for (std::size_t t = t0; t < t1; ++t)
              d[t] = src[static_cast<std::ptrdiff_t>((ow + t) * g.stride) + base];
          }
          std::fill(d + t1, d + len, 0.0f);
        });
      }
}

// Adds a column matrix (layout of im2col) back onto the input gradient dx (the transpose of im2col).
inline void col2im_add(float* col, std::size_t ld, std::size_t c_total, const window& g, std::size_t c0,
                       std::size_t cs, std::size_t j0, std::size_t j1, float* dx) {
  const std::size_t k = g.k;
  if (same_stride1(g)) {
    col2im_add_same(col, ld, c_total, g, c0, cs, j0, j1, dx);
    return;
  }
  for (std::size_t c = 0; c < cs; ++c)
    for (std::size_t kh = 0; kh < k; ++kh)
      for (std::size_t kw = 0; kw < k; ++kw) {
        const float* src_row = col + ((c * k + kh) * k + kw) * ld;
        for_each_row_run(g, j0, j1, [&](std::size_t n, std::size_t oh, std::size_t ow, std::size_t len, std::size_t off) {
          const std::ptrdiff_t ih = static_cast<std::ptrdiff_t>(oh * g.stride + kh) - static_cast<std::ptrdiff_t>(g.pad);
          if (ih < 0 || ih >= static_cast<std::ptrdiff_t>(g.h)) return;
          float* d = dx + ((n * c_total + c0 + c) * g.h + static_cast<std::size_t>(ih)) * g.w;
          const float* s = src_row + off;
          std::size_t t0, t1;
          valid_run(g, ow, len, kw, t0, t1);
          const std::ptrdiff_t base = static_cast<std::ptrdiff_t>(kw) - static_cast<std::ptrdiff_t>(g.pad);
          if (g.stride == 1) {
            float* dd = d + (static_cast<std::ptrdiff_t>(ow) + base);
            for (std::size_t t = t0; t < t1; ++t) dd[t] += s[t];
          } else {
            for (std::size_t t = t0; t < t1; ++t) d[static_cast<std::ptrdiff_t>((ow + t) * g.stride) + base] += s[t];
          }
        });
      }
}

// Bytes of column matrix a chunk should hold so that it stays in L2 next to the packed GEMM panels.
inline constexpr std::size_t chunk_bytes = std::size_t{3} << 18;  // 768 KiB

}  // namespace detail
}  // namespace nas::train
