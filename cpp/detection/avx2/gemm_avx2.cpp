// AVX2 + FMA single-precision GEMM for the CNN layers (MTCNN, validator), compiled with
// -mavx2 -mfma and reached only through simd::has_avx2_fma(). No Eigen here: template
// code compiled with other flags must not be shared with the baseline build.
#include <immintrin.h>

#include <cstddef>

#include "detection/detail/simd.hpp"

namespace pyfacelm::simd {

namespace {

// 4 rows of C x 16 columns from a packed k x 16 panel of B.
inline void block_4x16(int ldc, int k, const float* A, int lda, const float* panel, float* C) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps(), c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps(), c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  const float* a0 = A;
  const float* a1 = A + lda;
  const float* a2 = A + 2L * lda;
  const float* a3 = A + 3L * lda;
  for (int p = 0; p < k; ++p) {
    const float* b = panel + 16L * p;
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 a = _mm256_broadcast_ss(a0 + p);
    c00 = _mm256_fmadd_ps(a, b0, c00);
    c01 = _mm256_fmadd_ps(a, b1, c01);
    a = _mm256_broadcast_ss(a1 + p);
    c10 = _mm256_fmadd_ps(a, b0, c10);
    c11 = _mm256_fmadd_ps(a, b1, c11);
    a = _mm256_broadcast_ss(a2 + p);
    c20 = _mm256_fmadd_ps(a, b0, c20);
    c21 = _mm256_fmadd_ps(a, b1, c21);
    a = _mm256_broadcast_ss(a3 + p);
    c30 = _mm256_fmadd_ps(a, b0, c30);
    c31 = _mm256_fmadd_ps(a, b1, c31);
  }
  _mm256_storeu_ps(C, c00);
  _mm256_storeu_ps(C + 8, c01);
  _mm256_storeu_ps(C + ldc, c10);
  _mm256_storeu_ps(C + ldc + 8, c11);
  _mm256_storeu_ps(C + 2L * ldc, c20);
  _mm256_storeu_ps(C + 2L * ldc + 8, c21);
  _mm256_storeu_ps(C + 3L * ldc, c30);
  _mm256_storeu_ps(C + 3L * ldc + 8, c31);
}

// One row of C x 16 columns from a packed panel.
inline void block_1x16(int k, const float* A, const float* panel, float* C) {
  __m256 c0 = _mm256_setzero_ps(), c1 = _mm256_setzero_ps();
  for (int p = 0; p < k; ++p) {
    const __m256 a = _mm256_broadcast_ss(A + p);
    c0 = _mm256_fmadd_ps(a, _mm256_loadu_ps(panel + 16L * p), c0);
    c1 = _mm256_fmadd_ps(a, _mm256_loadu_ps(panel + 16L * p + 8), c1);
  }
  _mm256_storeu_ps(C, c0);
  _mm256_storeu_ps(C + 8, c1);
}

}  // namespace

void gemm_avx2(int m, int n, int k, const float* A, const float* B, float* C) {
  const int m4 = m - m % 4;
  // Columns in panels of 16 (the last one zero-padded), copied contiguously so that the
  // inner loop streams them from L1 whatever the row length of B.
  float* panel = static_cast<float*>(_mm_malloc(sizeof(float) * 16 * static_cast<std::size_t>(k > 0 ? k : 1), 32));
  float tail[4][16];
  for (int j = 0; j < n; j += 16) {
    const int w = n - j < 16 ? n - j : 16;
    for (int p = 0; p < k; ++p) {
      const float* src = B + static_cast<long>(p) * n + j;
      float* dst = panel + 16L * p;
      int q = 0;
      for (; q < w; ++q) dst[q] = src[q];
      for (; q < 16; ++q) dst[q] = 0.f;
    }
    for (int i = 0; i < m; i += 4) {
      const bool full_rows = i < m4;
      if (full_rows && w == 16) {
        block_4x16(n, k, A + static_cast<long>(i) * k, k, panel, C + static_cast<long>(i) * n + j);
        continue;
      }
      const int rows = full_rows ? 4 : m - i;
      if (full_rows) {
        block_4x16(16, k, A + static_cast<long>(i) * k, k, panel, &tail[0][0]);
      } else {
        for (int r = 0; r < rows; ++r) block_1x16(k, A + static_cast<long>(i + r) * k, panel, tail[r]);
      }
      for (int r = 0; r < rows; ++r)
        for (int q = 0; q < w; ++q) C[static_cast<long>(i + r) * n + j + q] = tail[r][q];
    }
  }
  _mm_free(panel);
}

}  // namespace pyfacelm::simd
