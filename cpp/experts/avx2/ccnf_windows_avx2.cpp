// AVX2 CCNF window normalisation (SPEC §3.5), compiled with -mavx2 -ffp-contract=off and
// reached only through simd::has_avx2_fma(). The eight partial sums of the portable loop are
// the eight lanes of one register, so every value comes out identical.
#include <immintrin.h>

#include <cmath>
#include <cstring>

#include "experts/detail/simd.hpp"

namespace pyfacelm::simd {

namespace {

// Lanes 0..n-1 of v (n < 8) loaded, the others zero (adding +0 leaves a partial sum as is).
inline __m256 load_first(const float* v, int n) {
  alignas(32) float t[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (int j = 0; j < n; ++j) t[j] = v[j];
  return _mm256_load_ps(t);
}

inline float join(__m256 acc) {
  alignas(32) float a[8];
  _mm256_store_ps(a, acc);
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
}

}  // namespace

void ccnf_windows_avx2(const float* aoi, int aoi_w, int win, int w, int h, float* X) {
  const int n = w * h, dim = 1 + n, n8 = n - n % 8;
  const float inv_count = 1.f / static_cast<float>(n);
  for (int x = 0; x < win; ++x) {
    for (int y = 0; y < win; ++y) {
      float* row = X + static_cast<long>(x * win + y) * dim;
      for (int yy = 0; yy < h; ++yy)
        std::memcpy(row + 1 + yy * w, aoi + static_cast<long>(y + yy) * aoi_w + x, sizeof(float) * w);
      float* v = row + 1;
      __m256 acc = _mm256_setzero_ps();
      for (int k = 0; k < n8; k += 8) acc = _mm256_add_ps(acc, _mm256_loadu_ps(v + k));
      if (n8 < n) acc = _mm256_add_ps(acc, load_first(v + n8, n - n8));
      const float mean = join(acc) * inv_count;
      const __m256 m = _mm256_set1_ps(mean);
      for (int k = 0; k < n8; k += 8) _mm256_storeu_ps(v + k, _mm256_sub_ps(_mm256_loadu_ps(v + k), m));
      for (int k = n8; k < n; ++k) v[k] -= mean;
      acc = _mm256_setzero_ps();
      for (int k = 0; k < n8; k += 8) {
        const __m256 c = _mm256_loadu_ps(v + k);
        acc = _mm256_add_ps(acc, _mm256_mul_ps(c, c));
      }
      if (n8 < n) {
        const __m256 c = load_first(v + n8, n - n8);
        acc = _mm256_add_ps(acc, _mm256_mul_ps(c, c));
      }
      float norm = std::sqrt(join(acc));
      if (norm == 0.f) norm = 1.f;
      row[0] = 1.f;
      const __m256 nv = _mm256_set1_ps(norm);
      for (int k = 0; k < n8; k += 8) _mm256_storeu_ps(v + k, _mm256_div_ps(_mm256_loadu_ps(v + k), nv));
      for (int k = n8; k < n; ++k) v[k] /= norm;
    }
  }
}

}  // namespace pyfacelm::simd
