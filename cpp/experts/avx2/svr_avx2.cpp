// AVX2 SVR correlation numerators (SPEC §3.4), compiled with -mavx2 -ffp-contract=off (no FMA:
// every product is rounded before its sum, as in the portable loop, so results are identical)
// and reached only through simd::has_avx2_fma(). Four neighbouring positions per step, one per
// lane, each lane summing in exactly the portable loop's order.
#include <immintrin.h>

#include "experts/detail/simd.hpp"

namespace pyfacelm::simd {

void svr_numerators_avx2(const double* img, int a, const double* t, int h, int w, int win, double* num) {
  const int w4 = w - w % 4;
  for (int y = 0; y < win; ++y) {
    for (int x0 = 0; x0 < win; x0 += 4) {
      const int x = x0 + 4 <= win ? x0 : win - 4;  // the last step overlaps: same values again
      __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd(), s2 = _mm256_setzero_pd(), s3 = _mm256_setzero_pd();
      for (int yy = 0; yy < h; ++yy) {
        const double* row = img + static_cast<long>(y + yy) * a + x;
        const double* trow = t + static_cast<long>(yy) * w;
        int xx = 0;
        for (; xx < w4; xx += 4) {
          s0 = _mm256_add_pd(s0, _mm256_mul_pd(_mm256_broadcast_sd(trow + xx), _mm256_loadu_pd(row + xx)));
          s1 = _mm256_add_pd(s1, _mm256_mul_pd(_mm256_broadcast_sd(trow + xx + 1), _mm256_loadu_pd(row + xx + 1)));
          s2 = _mm256_add_pd(s2, _mm256_mul_pd(_mm256_broadcast_sd(trow + xx + 2), _mm256_loadu_pd(row + xx + 2)));
          s3 = _mm256_add_pd(s3, _mm256_mul_pd(_mm256_broadcast_sd(trow + xx + 3), _mm256_loadu_pd(row + xx + 3)));
        }
        for (; xx < w; ++xx)
          s0 = _mm256_add_pd(s0, _mm256_mul_pd(_mm256_broadcast_sd(trow + xx), _mm256_loadu_pd(row + xx)));
      }
      _mm256_storeu_pd(num + static_cast<long>(y) * win + x, _mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3)));
    }
  }
}

}  // namespace pyfacelm::simd
