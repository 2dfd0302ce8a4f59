// SPEC §12.2: colour to gray, bit-exact with OpenCV 4.6+ cvtColor(BGR2GRAY).
#include "image/image.hpp"

#include "image/detail/simd.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace pyfacelm {

namespace {
constexpr int kB = 3735, kG = 19235, kR = 9798, kShift = 15;

inline std::uint8_t gray_pixel(const std::uint8_t* px, std::ptrdiff_t cs, int w0, int w2) {
  const int y = px[0] * w0 + px[cs] * kG + px[2 * cs] * w2 + (1 << (kShift - 1));
  return static_cast<std::uint8_t>(y >> kShift);
}

#if defined(__SSE2__)
// Four packed 3-byte pixels starting at `p` (16 bytes are read) -> four 32-bit gray values.
// SSE2 has no byte shuffle, so each pixel is moved to the low bytes of its own 32-bit lane by
// whole-register byte shifts; pmaddwd then forms the same integer sums as the scalar formula
// (every product and sum fits 32 bits), so the result is bit-identical.
inline __m128i gray4(const std::uint8_t* p, __m128i w_first_last, __m128i w_mid, __m128i half) {
  const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  const __m128i p01 = _mm_unpacklo_epi32(v, _mm_srli_si128(v, 3));
  const __m128i p23 = _mm_unpacklo_epi32(_mm_srli_si128(v, 6), _mm_srli_si128(v, 9));
  const __m128i px = _mm_unpacklo_epi64(p01, p23);  // lane i: c0 | c1 << 8 | c2 << 16 | junk << 24
  const __m128i lo_mask = _mm_set1_epi32(0x00ff00ff);
  const __m128i c02 = _mm_and_si128(px, lo_mask);                     // 16-bit words: c0, c2
  const __m128i c1x = _mm_and_si128(_mm_srli_epi16(px, 8), lo_mask);  // 16-bit words: c1, junk
  const __m128i y = _mm_add_epi32(_mm_add_epi32(_mm_madd_epi16(c02, w_first_last), _mm_madd_epi16(c1x, w_mid)), half);
  return _mm_srli_epi32(y, kShift);
}

// Packed 3-channel rows (col_stride 3, channel_stride 1), the layout of a decoded video frame.
void gray_rows_packed3(const ImageView& v, std::uint8_t* out, int w0, int w2) {
  const __m128i w_first_last = _mm_set1_epi32((w2 << 16) | w0);
  const __m128i w_mid = _mm_set1_epi32(kG);  // the junk byte's weight is 0
  const __m128i half = _mm_set1_epi32(1 << (kShift - 1));
  for (int r = 0; r < v.rows; ++r) {
    const std::uint8_t* row = v.data + r * v.row_stride;
    std::uint8_t* o = out + static_cast<std::size_t>(r) * v.cols;
    int c = 0;
    // 8 pixels per step; the second load reads 16 bytes from pixel c + 4, so 6 pixels
    // (18 bytes) must remain from there.
    for (; c + 10 <= v.cols; c += 8) {
      const __m128i a = gray4(row + 3 * c, w_first_last, w_mid, half);
      const __m128i b = gray4(row + 3 * (c + 4), w_first_last, w_mid, half);
      const __m128i packed = _mm_packus_epi16(_mm_packs_epi32(a, b), _mm_setzero_si128());
      _mm_storel_epi64(reinterpret_cast<__m128i*>(o + c), packed);
    }
    for (; c < v.cols; ++c) o[c] = gray_pixel(row + 3 * c, 1, w0, w2);
  }
}
#endif
}  // namespace

void to_gray_into(const ImageView& v, std::uint8_t* out, GrayKernel kernel) {
  if (v.channels == 1) {
    for (int r = 0; r < v.rows; ++r) {
      const std::uint8_t* row = v.data + r * v.row_stride;
      std::uint8_t* o = out + static_cast<std::size_t>(r) * v.cols;
      if (v.col_stride == 1) {
        for (int c = 0; c < v.cols; ++c) o[c] = row[c];
      } else {
        for (int c = 0; c < v.cols; ++c) o[c] = row[c * v.col_stride];
      }
    }
    return;
  }
  // Channel 0 is blue for BGR input and red for RGB input.
  const int w0 = v.order == ColorOrder::BGR ? kB : kR;
  const int w2 = v.order == ColorOrder::BGR ? kR : kB;
  const std::ptrdiff_t cs = v.channel_stride;
  // Packed triplets (a C-contiguous image): the AVX2 kernel where the CPU has it, else the
  // baseline SSE2 rows; both form the scalar formula's integer sums exactly.
  const bool packed = v.col_stride == 3 && cs == 1 && kernel != GrayKernel::scalar;
  if (packed && kernel == GrayKernel::best && simd::has_avx2_fma()) {
    for (int r = 0; r < v.rows; ++r) {
      const std::uint8_t* px = v.data + r * v.row_stride;
      std::uint8_t* o = out + static_cast<std::size_t>(r) * v.cols;
      for (int c = simd::gray_from_triplets_avx2(px, v.cols, w0, w2, o); c < v.cols; ++c)
        o[c] = gray_pixel(px + 3L * c, 1, w0, w2);
    }
    return;
  }
#if defined(__SSE2__)
  if (packed) {
    gray_rows_packed3(v, out, w0, w2);
    return;
  }
#endif
  for (int r = 0; r < v.rows; ++r) {
    const std::uint8_t* px = v.data + r * v.row_stride;
    std::uint8_t* o = out + static_cast<std::size_t>(r) * v.cols;
    for (int c = 0; c < v.cols; ++c, px += v.col_stride) o[c] = gray_pixel(px, cs, w0, w2);
  }
}

GrayImage to_gray(const ImageView& v) {
  GrayImage g;
  to_gray_into(v, g);
  return g;
}

void to_gray_into(const ImageView& v, GrayImage& g) {
  g.rows = v.rows;
  g.cols = v.cols;
  // resize keeps the capacity: a buffer reused for frames of one size is not reallocated.
  g.pixels.resize(static_cast<std::size_t>(v.rows) * v.cols);
  if (!g.pixels.empty()) to_gray_into(v, g.pixels.data());
}

}  // namespace pyfacelm
