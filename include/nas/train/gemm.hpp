// Single-precision matrix product for the layers: C = alpha * op(A) * op(B) + beta * C, row-major.
// On CPUs with AVX-512 it runs its own blocked kernel (Goto/BLIS scheme: packed panels, an 8x32
// register tile); elsewhere it calls cblas_sgemm. The own kernel exists because OpenBLAS picks its
// kernels by CPU model and falls back to SSE3 ("Prescott", ~5x slower) on models it does not know,
// and because it is single-threaded by design: layers split their work over the pool themselves.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstring>

// The CBLAS declarations of xtensor-blas (xflens), not OpenBLAS's <cblas.h>: the two declare the same
// enums differently, and moo/surrogate (xt::linalg) includes xflens's, so a translation unit with both a
// predictor and the training backend would not compile. Same functions, same ABI.
#include <xflens/cxxblas/drivers/cblas.h>
#if __has_include(<openblas_config.h>)
#include <openblas_config.h>  // OPENBLAS_VERSION
extern "C" void openblas_set_num_threads(int num_threads);
#endif

#include "nas/train/tensor.hpp"

#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
#define NAS_TRAIN_HAVE_AVX512 1
#include <immintrin.h>
#define NAS_TRAIN_AVX512 __attribute__((target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma,bmi2")))
#else
#define NAS_TRAIN_HAVE_AVX512 0
#endif

namespace nas::train::detail {

// Calls cblas_sgemm on the calling thread only (OpenBLAS's own threads would compete with the pool).
inline void sgemm_blas(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
                       const float* b, int ldb, float beta, float* c, int ldc) {
#ifdef OPENBLAS_VERSION
  static const bool single = (openblas_set_num_threads(1), true);
  (void)single;
#endif
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k,
              alpha, a, lda, b, ldb, beta, c, ldc);
}

#if NAS_TRAIN_HAVE_AVX512
namespace avx512 {

constexpr int mr = 8;       // rows of the register tile
constexpr int nr = 32;      // columns of the register tile (two zmm vectors)
constexpr int kc_max = 256; // depth of a packed panel: a B micro-panel (kc x 32 floats) stays in L1
constexpr int mc_max = 144; // rows of a packed A block (kept in L2)
constexpr int nc_max = 2048;

// Transposes a 16x16 block held in 16 registers (row i -> column i).
// (The maskz_ forms with full masks avoid GCC 12's false -Wmaybe-uninitialized on the plain intrinsics.)
NAS_TRAIN_AVX512 inline void transpose16(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_maskz_unpacklo_ps(0xFFFF, r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_maskz_unpackhi_ps(0xFFFF, r[2 * i], r[2 * i + 1]);
  }
  __m512 u[16];
  for (int g = 0; g < 4; ++g) {
    const __m512d t0 = _mm512_castps_pd(t[4 * g]), t1 = _mm512_castps_pd(t[4 * g + 1]);
    const __m512d t2 = _mm512_castps_pd(t[4 * g + 2]), t3 = _mm512_castps_pd(t[4 * g + 3]);
    u[4 * g + 0] = _mm512_castpd_ps(_mm512_maskz_unpacklo_pd(0xFF, t0, t2));
    u[4 * g + 1] = _mm512_castpd_ps(_mm512_maskz_unpackhi_pd(0xFF, t0, t2));
    u[4 * g + 2] = _mm512_castpd_ps(_mm512_maskz_unpacklo_pd(0xFF, t1, t3));
    u[4 * g + 3] = _mm512_castpd_ps(_mm512_maskz_unpackhi_pd(0xFF, t1, t3));
  }
  for (int j = 0; j < 4; ++j) {
    const __m512 v = _mm512_maskz_shuffle_f32x4(0xFFFF, u[j], u[4 + j], 0x44), w = _mm512_maskz_shuffle_f32x4(0xFFFF, u[j], u[4 + j], 0xEE);
    const __m512 v2 = _mm512_maskz_shuffle_f32x4(0xFFFF, u[8 + j], u[12 + j], 0x44);
    const __m512 w2 = _mm512_maskz_shuffle_f32x4(0xFFFF, u[8 + j], u[12 + j], 0xEE);
    r[j] = _mm512_maskz_shuffle_f32x4(0xFFFF, v, v2, 0x88);
    r[4 + j] = _mm512_maskz_shuffle_f32x4(0xFFFF, v, v2, 0xDD);
    r[8 + j] = _mm512_maskz_shuffle_f32x4(0xFFFF, w, w2, 0x88);
    r[12 + j] = _mm512_maskz_shuffle_f32x4(0xFFFF, w, w2, 0xDD);
  }
}

NAS_TRAIN_AVX512 inline __mmask16 tail_mask(int n) {
  return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1u);
}

// Packs rows [0, rows) x depth [0, kc) of a matrix whose rows are contiguous in depth (src + r * ld + p)
// into panels of `width` (8 or 32) rows, depth-major: dst[panel][p][r]. Rows past `rows` are zero.
NAS_TRAIN_AVX512 inline void pack_transposing(int rows, int kc, const float* src, int ld, int width, float* dst) {
  const int panels = (rows + width - 1) / width;
  for (int r0 = 0; r0 < panels * width; r0 += 16) {
    float* panel = dst + static_cast<std::ptrdiff_t>(r0 / width) * kc * width;
    const int off = r0 % width;  // 0 or 16 within a 32-wide panel; for width 8, two panels per block
    for (int p0 = 0; p0 < kc; p0 += 16) {
      const __mmask16 pm = tail_mask(kc - p0);
      __m512 r[16];
      for (int i = 0; i < 16; ++i)
        r[i] = r0 + i < rows ? _mm512_maskz_loadu_ps(pm, src + static_cast<std::ptrdiff_t>(r0 + i) * ld + p0)
                             : _mm512_setzero_ps();
      transpose16(r);
      const int qn = std::min(16, kc - p0);
      if (width == 32) {
        for (int q = 0; q < qn; ++q) _mm512_store_ps(panel + static_cast<std::ptrdiff_t>(p0 + q) * 32 + off, r[q]);
      } else {
        float* second = panel + static_cast<std::ptrdiff_t>(kc) * 8;
        const bool has_second = r0 + 8 < panels * width;
        for (int q = 0; q < qn; ++q) {
          _mm256_store_ps(panel + static_cast<std::ptrdiff_t>(p0 + q) * 8, _mm512_maskz_extractf32x8_ps(0xFF, r[q], 0));
          if (has_second)
            _mm256_store_ps(second + static_cast<std::ptrdiff_t>(p0 + q) * 8, _mm512_maskz_extractf32x8_ps(0xFF, r[q], 1));
        }
      }
    }
  }
}

// Packs columns [0, cols) x depth [0, kc) of a matrix whose depth rows are contiguous in the columns
// (src + p * ld + c) into panels of `width` columns: dst[panel][p][c]. Columns past `cols` are zero.
NAS_TRAIN_AVX512 inline void pack_direct(int cols, int kc, const float* src, int ld, int width, float* dst) {
  const int panels = (cols + width - 1) / width;
  for (int pn = 0; pn < panels; ++pn) {
    const int c0 = pn * width;
    float* panel = dst + static_cast<std::ptrdiff_t>(pn) * kc * width;
    if (width == 32) {
      const __mmask16 m0 = tail_mask(cols - c0), m1 = tail_mask(cols - c0 - 16);
      for (int p = 0; p < kc; ++p) {
        const float* s = src + static_cast<std::ptrdiff_t>(p) * ld + c0;
        _mm512_store_ps(panel + p * 32, _mm512_maskz_loadu_ps(m0, s));
        _mm512_store_ps(panel + p * 32 + 16, _mm512_maskz_loadu_ps(m1, s + 16));
      }
    } else {
      const __mmask8 m = static_cast<__mmask8>(tail_mask(std::min(8, cols - c0)));
      for (int p = 0; p < kc; ++p)
        _mm256_store_ps(panel + p * 8, _mm256_maskz_loadu_ps(m, src + static_cast<std::ptrdiff_t>(p) * ld + c0));
    }
  }
}

// C[0:mr_eff, 0:nr_eff] = alpha * (packed A panel x packed B panel) + beta * C; beta == 0 never reads C.
NAS_TRAIN_AVX512 inline void kernel(int kc, const float* __restrict a, const float* __restrict b, float* c, int ldc,
                                    float alpha, float beta, int mr_eff, int nr_eff) {
  __m512 acc[mr][2];
#pragma GCC unroll 8
  for (int i = 0; i < mr; ++i) acc[i][0] = acc[i][1] = _mm512_setzero_ps();
#pragma GCC unroll 2
  for (int p = 0; p < kc; ++p) {
    const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 8
    for (int i = 0; i < mr; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
      acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
    }
    a += mr;
    b += nr;
  }
  const __mmask16 m0 = tail_mask(nr_eff), m1 = tail_mask(nr_eff - 16);
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 8
  for (int i = 0; i < mr; ++i) {
    if (i >= mr_eff) break;
    float* ci = c + static_cast<std::ptrdiff_t>(i) * ldc;
    __m512 r0 = alpha == 1.0f ? acc[i][0] : _mm512_mul_ps(va, acc[i][0]);
    __m512 r1 = alpha == 1.0f ? acc[i][1] : _mm512_mul_ps(va, acc[i][1]);
    if (beta == 1.0f) {
      r0 = _mm512_add_ps(r0, _mm512_maskz_loadu_ps(m0, ci));
      r1 = _mm512_add_ps(r1, _mm512_maskz_loadu_ps(m1, ci + 16));
    } else if (beta != 0.0f) {
      r0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, ci), r0);
      r1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, ci + 16), r1);
    }
    _mm512_mask_storeu_ps(ci, m0, r0);
    _mm512_mask_storeu_ps(ci + 16, m1, r1);
  }
}

// Splits `total` into equal blocks of at most `max_block`, rounded up to a multiple of `align`.
inline int balanced_block(int total, int max_block, int align) {
  const int blocks = (total + max_block - 1) / max_block;
  const int b = (total + blocks - 1) / blocks;
  return (b + align - 1) / align * align;
}

// The blocked product; packing buffers are per thread and grow to the largest call.
NAS_TRAIN_AVX512 inline void sgemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a,
                                   int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  thread_local scratch a_buf, b_buf;
  const int kcb = balanced_block(k, kc_max, 1);
  const int mcb = balanced_block(m, mc_max, mr);
  const int ncb = balanced_block(n, nc_max, nr);
  float* ap = a_buf.get(static_cast<std::size_t>(mcb + 8) * kcb);
  float* bp = b_buf.get(static_cast<std::size_t>(ncb + nr) * kcb);
  for (int jc = 0; jc < n; jc += ncb) {
    const int nc = std::min(ncb, n - jc);
    for (int pc = 0; pc < k; pc += kcb) {
      const int kc = std::min(kcb, k - pc);
      const float beta_eff = pc == 0 ? beta : 1.0f;
      // op(B)[p][j]: B[(pc+p)*ldb + jc+j] when not transposed, B[(jc+j)*ldb + pc+p] when transposed.
      if (trans_b)
        pack_transposing(nc, kc, b + static_cast<std::ptrdiff_t>(jc) * ldb + pc, ldb, nr, bp);
      else
        pack_direct(nc, kc, b + static_cast<std::ptrdiff_t>(pc) * ldb + jc, ldb, nr, bp);
      for (int ic = 0; ic < m; ic += mcb) {
        const int mc = std::min(mcb, m - ic);
        // op(A)[i][p]: A[(ic+i)*lda + pc+p] when not transposed, A[(pc+p)*lda + ic+i] when transposed.
        if (trans_a)
          pack_direct(mc, kc, a + static_cast<std::ptrdiff_t>(pc) * lda + ic, lda, mr, ap);
        else
          pack_transposing(mc, kc, a + static_cast<std::ptrdiff_t>(ic) * lda + pc, lda, mr, ap);
        for (int jr = 0; jr < nc; jr += nr)
          for (int ir = 0; ir < mc; ir += mr)
            kernel(kc, ap + static_cast<std::ptrdiff_t>(ir) * kc, bp + static_cast<std::ptrdiff_t>(jr) * kc,
                   c + static_cast<std::ptrdiff_t>(ic + ir) * ldc + jc + jr, ldc, alpha, beta_eff,
                   std::min(mr, mc - ir), std::min(nr, nc - jr));
      }
    }
  }
}

}  // namespace avx512
#endif

// True when this CPU runs the AVX-512 kernels.
inline bool cpu_has_avx512() {
#if NAS_TRAIN_HAVE_AVX512
  static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
  return ok;
#else
  return false;
#endif
}

inline std::atomic<bool>& avx512_flag() {
  static std::atomic<bool> on{cpu_has_avx512()};
  return on;
}

// True while the AVX-512 kernels are in use (the default where the CPU has them).
inline bool use_avx512_gemm() { return avx512_flag().load(std::memory_order_relaxed); }

// Switches the AVX-512 kernels off (portable loops and cblas_sgemm) or back on where supported, e.g. to
// test the portable path; returns the previous setting. Call it between, not during, computations.
inline bool set_avx512(bool on) { return avx512_flag().exchange(on && cpu_has_avx512()); }

// C (m x n, leading dimension ldc) = alpha * op(A) * op(B) + beta * C on the calling thread, row-major;
// op(A) is m x k, op(B) is k x n. With beta == 0, C is not read (it may hold garbage).
inline void sgemm(bool trans_a, bool trans_b, int m, int n, int k, float alpha, const float* a, int lda,
                  const float* b, int ldb, float beta, float* c, int ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    for (int i = 0; i < m; ++i)
      for (int j = 0; j < n; ++j) {
        float& x = c[static_cast<std::ptrdiff_t>(i) * ldc + j];
        x = beta == 0.0f ? 0.0f : beta * x;
      }
    return;
  }
#if NAS_TRAIN_HAVE_AVX512
  if (use_avx512_gemm()) {
    avx512::sgemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
#endif
  sgemm_blas(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace nas::train::detail
