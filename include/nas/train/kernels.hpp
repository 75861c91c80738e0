// Loops over float arrays shared by the layers: reductions, the batch-norm (+ReLU) passes, ReLU and
// 2x2 max pooling. Each exists as an AVX-512 version (chosen at run time, like the GEMM kernel, so the
// library needs no -march flag) and a portable branch-free version.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "nas/train/gemm.hpp"

namespace nas::train::detail {

// ---- portable versions ----------------------------------------------------------------------------
namespace generic {

// Sums of x and of x squared over x[0..n) (16 partial sums so that the loop vectorises).
inline void sum_and_squares(const float* x, std::size_t n, double& s, double& sq) {
  float a[16] = {}, b[16] = {};
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (std::size_t j = 0; j < 16; ++j) {
      const float v = x[i + j];
      a[j] += v;
      b[j] += v * v;
    }
  for (std::size_t j = 0; j < 16; ++j) {
    s += a[j];
    sq += b[j];
  }
  for (; i < n; ++i) {
    s += x[i];
    sq += static_cast<double>(x[i]) * x[i];
  }
}

// Sums of dz and dz * x where dz = dy, masked by (x * scale + shift > 0) when relu is set.
inline void masked_sums(const float* x, const float* dy, std::size_t n, bool relu, float scale, float shift,
                        double& sdz, double& sdzx) {
  for (std::size_t i = 0; i < n; ++i) {
    const float keep = !relu || x[i] * scale + shift > 0.0f ? 1.0f : 0.0f;
    const float dz = dy[i] * keep;
    sdz += dz;
    sdzx += static_cast<double>(dz) * x[i];
  }
}

// y = x * scale + shift, then max(y, 0) when relu is set.
inline void affine(const float* __restrict x, float* __restrict y, std::size_t n, float scale, float shift, bool relu) {
  if (relu)
    for (std::size_t i = 0; i < n; ++i) y[i] = std::max(x[i] * scale + shift, 0.0f);
  else
    for (std::size_t i = 0; i < n; ++i) y[i] = x[i] * scale + shift;
}

// dx = a * dz + b * x + c with dz = dy masked by (x * scale + shift > 0) when relu is set.
inline void bn_input_grad(const float* __restrict x, const float* __restrict dy, float* __restrict dx, std::size_t n,
                          float a, float b, float c, bool relu, float scale, float shift) {
  for (std::size_t i = 0; i < n; ++i) {
    const float v = x[i], g = dy[i];
    const float dz = !relu || v * scale + shift > 0.0f ? g : 0.0f;
    dx[i] = a * dz + b * v + c;
  }
}

inline void relu_forward(const float* __restrict x, float* __restrict y, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] = std::max(x[i], 0.0f);
}

// d[i] += s[i].
inline void add_to(float* __restrict d, const float* __restrict s, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) d[i] += s[i];
}

inline void relu_backward(const float* __restrict y, const float* __restrict dy, float* __restrict dx, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const float v = y[i], g = dy[i];
    dx[i] = v > 0.0f ? g : 0.0f;
  }
}

// 2x2 max pooling with stride 2 of one h x w plane; arg[o] is the winner's index in the plane.
inline void max_pool2x2(const float* x, std::size_t h, std::size_t w, float* y, std::uint32_t* arg) {
  const std::size_t oh = h / 2, ow = w / 2;
  for (std::size_t r = 0; r < oh; ++r) {
    const float* r0 = x + 2 * r * w;
    const float* r1 = r0 + w;
    for (std::size_t c = 0; c < ow; ++c) {
      const std::size_t i = 2 * c;
      const float a = r0[i], b = r0[i + 1], d = r1[i], e = r1[i + 1];
      float m = a;
      std::uint32_t k = static_cast<std::uint32_t>(2 * r * w + i);
      k = b > m ? k + 1 : k;
      m = b > m ? b : m;
      k = d > m ? static_cast<std::uint32_t>((2 * r + 1) * w + i) : k;
      m = d > m ? d : m;
      k = e > m ? static_cast<std::uint32_t>((2 * r + 1) * w + i + 1) : k;
      m = e > m ? e : m;
      y[r * ow + c] = m;
      arg[r * ow + c] = k;
    }
  }
}

// Backward of max_pool2x2: writes every input gradient of the plane once (the window's winner gets dy,
// the other three and any unpooled last row or column get 0).
inline void max_pool2x2_backward(const float* dy, const std::uint32_t* arg, std::size_t h, std::size_t w, float* dx) {
  const std::size_t oh = h / 2, ow = w / 2;
  for (std::size_t r = 0; r < oh; ++r) {
    float* d0 = dx + 2 * r * w;
    float* d1 = d0 + w;
    const auto b0 = static_cast<std::uint32_t>(2 * r * w), b1 = static_cast<std::uint32_t>((2 * r + 1) * w);
    for (std::size_t c = 0; c < ow; ++c) {
      const float g = dy[r * ow + c];
      const std::uint32_t a = arg[r * ow + c], i = static_cast<std::uint32_t>(2 * c);
      d0[i] = a == b0 + i ? g : 0.0f;
      d0[i + 1] = a == b0 + i + 1 ? g : 0.0f;
      d1[i] = a == b1 + i ? g : 0.0f;
      d1[i + 1] = a == b1 + i + 1 ? g : 0.0f;
    }
    if (w % 2 != 0) d0[w - 1] = d1[w - 1] = 0.0f;
  }
  if (h % 2 != 0) std::fill(dx + (h - 1) * w, dx + h * w, 0.0f);
}

}  // namespace generic

// ---- AVX-512 versions -----------------------------------------------------------------------------
#if NAS_TRAIN_HAVE_AVX512
namespace avx512 {

// Horizontal sum. (Here and below, maskz_ forms with full masks avoid GCC 12's false uninitialised
// warnings on the plain intrinsics.)
NAS_TRAIN_AVX512 inline double hsum(__m512 v) {
  const __m256 s = _mm256_add_ps(_mm512_maskz_extractf32x8_ps(0xFF, v, 0), _mm512_maskz_extractf32x8_ps(0xFF, v, 1));
  __m128 q = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  q = _mm_add_ps(q, _mm_movehl_ps(q, q));
  q = _mm_add_ss(q, _mm_shuffle_ps(q, q, 1));
  return static_cast<double>(_mm_cvtss_f32(q));
}

NAS_TRAIN_AVX512 inline void sum_and_squares(const float* x, std::size_t n, double& s, double& sq) {
  __m512 a0 = _mm512_setzero_ps(), a1 = a0, b0 = a0, b1 = a0;
  std::size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 u = _mm512_loadu_ps(x + i), v = _mm512_loadu_ps(x + i + 16);
    a0 = _mm512_add_ps(a0, u);
    a1 = _mm512_add_ps(a1, v);
    b0 = _mm512_fmadd_ps(u, u, b0);
    b1 = _mm512_fmadd_ps(v, v, b1);
  }
  for (; i < n; i += 16) {
    const __m512 u = _mm512_maskz_loadu_ps(tail_mask(int(n - i)), x + i);
    a0 = _mm512_add_ps(a0, u);
    b0 = _mm512_fmadd_ps(u, u, b0);
  }
  s += hsum(_mm512_add_ps(a0, a1));
  sq += hsum(_mm512_add_ps(b0, b1));
}

NAS_TRAIN_AVX512 inline void masked_sums(const float* x, const float* dy, std::size_t n, bool relu, float scale,
                                         float shift, double& sdz, double& sdzx) {
  const __m512 vs = _mm512_set1_ps(scale), vt = _mm512_set1_ps(shift), zero = _mm512_setzero_ps();
  __m512 a = zero, b = zero;
  for (std::size_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(int(n - i));
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    __m512 g = _mm512_maskz_loadu_ps(m, dy + i);
    if (relu) g = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_fmadd_ps(v, vs, vt), zero, _CMP_GT_OQ), g);
    a = _mm512_add_ps(a, g);
    b = _mm512_fmadd_ps(g, v, b);
  }
  sdz += hsum(a);
  sdzx += hsum(b);
}

NAS_TRAIN_AVX512 inline void affine(const float* x, float* y, std::size_t n, float scale, float shift, bool relu) {
  const __m512 vs = _mm512_set1_ps(scale), vt = _mm512_set1_ps(shift), zero = _mm512_setzero_ps();
  for (std::size_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(int(n - i));
    __m512 v = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, x + i), vs, vt);
    if (relu) v = _mm512_maskz_max_ps(0xFFFF, v, zero);
    _mm512_mask_storeu_ps(y + i, m, v);
  }
}

NAS_TRAIN_AVX512 inline void bn_input_grad(const float* x, const float* dy, float* dx, std::size_t n, float a, float b,
                                           float c, bool relu, float scale, float shift) {
  const __m512 va = _mm512_set1_ps(a), vb = _mm512_set1_ps(b), vc = _mm512_set1_ps(c);
  const __m512 vs = _mm512_set1_ps(scale), vt = _mm512_set1_ps(shift), zero = _mm512_setzero_ps();
  for (std::size_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(int(n - i));
    const __m512 v = _mm512_maskz_loadu_ps(m, x + i);
    __m512 g = _mm512_maskz_loadu_ps(m, dy + i);
    if (relu) g = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_fmadd_ps(v, vs, vt), zero, _CMP_GT_OQ), g);
    _mm512_mask_storeu_ps(dx + i, m, _mm512_fmadd_ps(va, g, _mm512_fmadd_ps(vb, v, vc)));
  }
}

NAS_TRAIN_AVX512 inline void add_to(float* d, const float* s, std::size_t n) {
  for (std::size_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(int(n - i));
    _mm512_mask_storeu_ps(d + i, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, d + i), _mm512_maskz_loadu_ps(m, s + i)));
  }
}

NAS_TRAIN_AVX512 inline void relu_forward(const float* x, float* y, std::size_t n) {
  const __m512 zero = _mm512_setzero_ps();
  for (std::size_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(int(n - i));
    _mm512_mask_storeu_ps(y + i, m, _mm512_maskz_max_ps(0xFFFF, _mm512_maskz_loadu_ps(m, x + i), zero));
  }
}

NAS_TRAIN_AVX512 inline void relu_backward(const float* y, const float* dy, float* dx, std::size_t n) {
  const __m512 zero = _mm512_setzero_ps();
  for (std::size_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(int(n - i));
    const __mmask16 pos = _mm512_mask_cmp_ps_mask(m, _mm512_maskz_loadu_ps(m, y + i), zero, _CMP_GT_OQ);
    _mm512_mask_storeu_ps(dx + i, m, _mm512_maskz_loadu_ps(pos, dy + i));
  }
}

// 2x2/2 max pooling: de-interleaves even and odd columns of two input rows, 16 outputs at a time.
NAS_TRAIN_AVX512 inline void max_pool2x2(const float* x, std::size_t h, std::size_t w, float* y, std::uint32_t* arg) {
  const std::size_t oh = h / 2, ow = w / 2;
  const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i lane2 = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  for (std::size_t r = 0; r < oh; ++r) {
    const float* r0 = x + 2 * r * w;
    const float* r1 = r0 + w;
    const auto base0 = static_cast<int>(2 * r * w), base1 = static_cast<int>((2 * r + 1) * w);
    for (std::size_t c = 0; c < ow; c += 16) {
      const int left = int(ow - c);
      const __mmask16 mo = tail_mask(left);
      const __mmask16 ma = tail_mask(2 * left), mb = tail_mask(2 * left - 16);
      const std::size_t i = 2 * c;
      const __m512 a0 = _mm512_maskz_loadu_ps(ma, r0 + i), b0 = _mm512_maskz_loadu_ps(mb, r0 + i + 16);
      const __m512 a1 = _mm512_maskz_loadu_ps(ma, r1 + i), b1 = _mm512_maskz_loadu_ps(mb, r1 + i + 16);
      const __m512 e0 = _mm512_permutex2var_ps(a0, even, b0), o0 = _mm512_permutex2var_ps(a0, odd, b0);
      const __m512 e1 = _mm512_permutex2var_ps(a1, even, b1), o1 = _mm512_permutex2var_ps(a1, odd, b1);
      const __m512i col = _mm512_add_epi32(lane2, _mm512_set1_epi32(static_cast<int>(i)));
      __m512 m = e0;
      __m512i k = _mm512_add_epi32(col, _mm512_set1_epi32(base0));
      __mmask16 gt = _mm512_cmp_ps_mask(o0, m, _CMP_GT_OQ);
      m = _mm512_mask_mov_ps(m, gt, o0);
      k = _mm512_mask_add_epi32(k, gt, k, _mm512_set1_epi32(1));
      gt = _mm512_cmp_ps_mask(e1, m, _CMP_GT_OQ);
      m = _mm512_mask_mov_ps(m, gt, e1);
      k = _mm512_mask_add_epi32(k, gt, col, _mm512_set1_epi32(base1));
      gt = _mm512_cmp_ps_mask(o1, m, _CMP_GT_OQ);
      m = _mm512_mask_mov_ps(m, gt, o1);
      k = _mm512_mask_add_epi32(k, gt, col, _mm512_set1_epi32(base1 + 1));
      _mm512_mask_storeu_ps(y + r * ow + c, mo, m);
      _mm512_mask_storeu_epi32(arg + r * ow + c, mo, k);
    }
  }
}

// Backward of max_pool2x2: 16 outputs at a time, re-interleaved into two 32-float input rows.
NAS_TRAIN_AVX512 inline void max_pool2x2_backward(const float* dy, const std::uint32_t* arg, std::size_t h,
                                                  std::size_t w, float* dx) {
  const std::size_t oh = h / 2, ow = w / 2;
  const __m512i lane2 = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  // Interleave even (a) and odd (b) values: lo = a0 b0 a1 b1 ... a7 b7, hi = a8 b8 ... a15 b15.
  const __m512i lo = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
  const __m512i hi = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
  for (std::size_t r = 0; r < oh; ++r) {
    float* d0 = dx + 2 * r * w;
    float* d1 = d0 + w;
    const auto base0 = static_cast<int>(2 * r * w), base1 = static_cast<int>((2 * r + 1) * w);
    for (std::size_t c = 0; c < ow; c += 16) {
      const int left = int(ow - c);
      const __mmask16 mo = tail_mask(left), ma = tail_mask(2 * left), mb = tail_mask(2 * left - 16);
      const __m512 g = _mm512_maskz_loadu_ps(mo, dy + r * ow + c);
      const __m512i a = _mm512_maskz_loadu_epi32(mo, arg + r * ow + c);
      const __m512i col = _mm512_add_epi32(lane2, _mm512_set1_epi32(static_cast<int>(2 * c)));
      const __m512i p00 = _mm512_add_epi32(col, _mm512_set1_epi32(base0));
      const __m512i p10 = _mm512_add_epi32(col, _mm512_set1_epi32(base1));
      const __m512i one = _mm512_set1_epi32(1);
      const __m512 e0 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(a, p00), g);
      const __m512 o0 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(a, _mm512_add_epi32(p00, one)), g);
      const __m512 e1 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(a, p10), g);
      const __m512 o1 = _mm512_maskz_mov_ps(_mm512_cmpeq_epi32_mask(a, _mm512_add_epi32(p10, one)), g);
      const std::size_t i = 2 * c;
      _mm512_mask_storeu_ps(d0 + i, ma, _mm512_permutex2var_ps(e0, lo, o0));
      _mm512_mask_storeu_ps(d0 + i + 16, mb, _mm512_permutex2var_ps(e0, hi, o0));
      _mm512_mask_storeu_ps(d1 + i, ma, _mm512_permutex2var_ps(e1, lo, o1));
      _mm512_mask_storeu_ps(d1 + i + 16, mb, _mm512_permutex2var_ps(e1, hi, o1));
    }
    if (w % 2 != 0) d0[w - 1] = d1[w - 1] = 0.0f;
  }
  if (h % 2 != 0) std::fill(dx + (h - 1) * w, dx + h * w, 0.0f);
}

}  // namespace avx512
#endif

// ---- dispatch -------------------------------------------------------------------------------------
#if NAS_TRAIN_HAVE_AVX512
#define NAS_TRAIN_DISPATCH(call) \
  do {                            \
    if (use_avx512_gemm())        \
      avx512::call;               \
    else                          \
      generic::call;              \
  } while (false)
#else
#define NAS_TRAIN_DISPATCH(call) generic::call
#endif

inline void sum_and_squares(const float* x, std::size_t n, double& s, double& sq) {
  NAS_TRAIN_DISPATCH(sum_and_squares(x, n, s, sq));
}
inline void masked_sums(const float* x, const float* dy, std::size_t n, bool relu, float scale, float shift,
                        double& sdz, double& sdzx) {
  NAS_TRAIN_DISPATCH(masked_sums(x, dy, n, relu, scale, shift, sdz, sdzx));
}
inline void affine(const float* x, float* y, std::size_t n, float scale, float shift, bool relu) {
  NAS_TRAIN_DISPATCH(affine(x, y, n, scale, shift, relu));
}
inline void bn_input_grad(const float* x, const float* dy, float* dx, std::size_t n, float a, float b, float c,
                          bool relu, float scale, float shift) {
  NAS_TRAIN_DISPATCH(bn_input_grad(x, dy, dx, n, a, b, c, relu, scale, shift));
}
inline void relu_forward(const float* x, float* y, std::size_t n) { NAS_TRAIN_DISPATCH(relu_forward(x, y, n)); }
inline void add_to(float* d, const float* s, std::size_t n) { NAS_TRAIN_DISPATCH(add_to(d, s, n)); }
inline void relu_backward(const float* y, const float* dy, float* dx, std::size_t n) {
  NAS_TRAIN_DISPATCH(relu_backward(y, dy, dx, n));
}
inline void max_pool2x2(const float* x, std::size_t h, std::size_t w, float* y, std::uint32_t* arg) {
  NAS_TRAIN_DISPATCH(max_pool2x2(x, h, w, y, arg));
}
inline void max_pool2x2_backward(const float* dy, const std::uint32_t* arg, std::size_t h, std::size_t w, float* dx) {
  NAS_TRAIN_DISPATCH(max_pool2x2_backward(dy, arg, h, w, dx));
}

#undef NAS_TRAIN_DISPATCH

// Sum of x[0..n) with 16 independent partial sums, accumulated in double at the end.
inline double sum(const float* x, std::size_t n) {
  float acc[16] = {};
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (std::size_t j = 0; j < 16; ++j) acc[j] += x[i + j];
  double s = 0.0;
  for (std::size_t j = 0; j < 16; ++j) s += acc[j];
  for (; i < n; ++i) s += x[i];
  return s;
}

// Range [begin, end) of part `i` of `parts` equal parts of n elements, aligned to 16 elements.
inline void split_range(std::size_t n, std::size_t parts, std::size_t i, std::size_t& begin, std::size_t& end) {
  const std::size_t per = ((n + parts - 1) / parts + 15) / 16 * 16;
  begin = std::min(n, i * per);
  end = std::min(n, begin + per);
}

// Number of work items for n planes of `plane` floats: ranges of planes of at least ~16K floats each,
// so that items are not so small that handing them out costs more than running them. At least one
// (an empty batch has no planes: one empty item, not clamp(x, 1, 0), whose bounds are reversed).
inline std::size_t plane_parts(std::size_t n, std::size_t plane) {
  return std::clamp<std::size_t>(n * plane / 16384, 1, std::max<std::size_t>(n, 1));
}

// Number of parts for an elementwise loop over n elements: about 64 KiB of floats per part.
inline std::size_t elementwise_parts(std::size_t n) { return std::max<std::size_t>(1, n / 16384); }

}  // namespace nas::train::detail
