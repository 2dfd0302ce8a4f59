// AVX2 + FMA kernel of shape/detail/shape3d_kernel.hpp; this file alone is compiled with
// -mavx2 -mfma and runs only where simd::has_avx2_fma() is true.
#include <immintrin.h>

#include "shape/detail/shape3d_kernel.hpp"

namespace pyfacelm::simd {

int shape3d_avx2(int rows, int m, const float* V, const float* p, const float* mean, float* out) {
  const bool one_sum = m < 16;
  int i = 0;
  for (; i + 8 <= rows; i += 8) {
    __m256 acc[16];
    for (auto& a : acc) a = _mm256_setzero_ps();
    for (int k = 0; k < m; ++k) {
      __m256& a = acc[one_sum ? 0 : k & 15];
      a = _mm256_fmadd_ps(_mm256_loadu_ps(V + static_cast<long>(k) * rows + i), _mm256_broadcast_ss(p + k), a);
    }
    for (int w = 1; w < 16; w *= 2)
      for (int l = 0; l < 16; l += 2 * w) acc[l] = _mm256_add_ps(acc[l], acc[l + w]);
    _mm256_storeu_ps(out + i, _mm256_add_ps(acc[0], _mm256_loadu_ps(mean + i)));
  }
  return i;
}

}  // namespace pyfacelm::simd
