// AVX2 colour to gray (SPEC §12.2), compiled with -mavx2 and reached only through
// simd::has_avx2_fma(). Integer arithmetic throughout: the same bytes as the portable loop.
#include <immintrin.h>

#include "image/detail/simd.hpp"

namespace pyfacelm::simd {

int gray_from_triplets_avx2(const std::uint8_t* px, int n, int w0, int w2, std::uint8_t* out) {
  constexpr int kG = 19235;
  const char z = -128;  // pshufb: zero this byte
  // Each 128-bit lane holds 4 pixels (12 of its 16 bytes): (c0, c1) and (c2, 0) as 16-bit pairs
  // for madd, so every weighted sum is one 32-bit lane.
  const __m256i pick01 = _mm256_setr_epi8(0, z, 1, z, 3, z, 4, z, 6, z, 7, z, 9, z, 10, z,  //
                                          0, z, 1, z, 3, z, 4, z, 6, z, 7, z, 9, z, 10, z);
  const __m256i pick2 = _mm256_setr_epi8(2, z, z, z, 5, z, z, z, 8, z, z, z, 11, z, z, z,  //
                                         2, z, z, z, 5, z, z, z, 8, z, z, z, 11, z, z, z);
  const __m256i w01 = _mm256_set1_epi32((kG << 16) | w0);
  const __m256i w2v = _mm256_set1_epi32(w2);
  const __m256i half = _mm256_set1_epi32(1 << 14);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  int i = 0;
  // 16 pixels per step, reading bytes [3i, 3i + 52): stop while 16 + 2 more pixels remain.
  for (; i + 18 <= n; i += 16) {
    const std::uint8_t* p = px + 3L * i;
    __m256i sums[2];
    for (int h = 0; h < 2; ++h) {
      const __m128i lo = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 24 * h));
      const __m128i hi = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 24 * h + 12));
      const __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1);
      __m256i s = _mm256_add_epi32(_mm256_madd_epi16(_mm256_shuffle_epi8(v, pick01), w01),
                                   _mm256_madd_epi16(_mm256_shuffle_epi8(v, pick2), w2v));
      sums[h] = _mm256_srli_epi32(_mm256_add_epi32(s, half), 15);
    }
    // sums[0] = pixels 0-3 | 4-7, sums[1] = 8-11 | 12-15 (lanes); all values fit in a byte.
    const __m256i w16 = _mm256_packus_epi32(sums[0], sums[1]);  // 0-3, 8-11 | 4-7, 12-15
    const __m256i b8 = _mm256_packus_epi16(w16, w16);           // 0-3, 8-11, (dup) | 4-7, 12-15, (dup)
    const __m256i fixed = _mm256_permutevar8x32_epi32(b8, order);  // 0-3, 4-7, 8-11, 12-15, ...
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm256_castsi256_si128(fixed));
  }
  return i;
}

}  // namespace pyfacelm::simd
