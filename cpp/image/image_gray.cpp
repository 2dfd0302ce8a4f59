// SPEC §12.2: colour to gray, bit-exact with OpenCV 4.6+ cvtColor(BGR2GRAY).
#include "image/image.hpp"

#include "image/detail/simd.hpp"

namespace pyfacelm {

namespace {
constexpr int kB = 3735, kG = 19235, kR = 9798, kShift = 15;
}

void to_gray_into(const ImageView& v, std::uint8_t* out) {
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
  // Packed triplets (a C-contiguous image): the AVX2 kernel does the bulk of each row.
  const bool packed = v.col_stride == 3 && cs == 1 && simd::has_avx2_fma();
  for (int r = 0; r < v.rows; ++r) {
    const std::uint8_t* px = v.data + r * v.row_stride;
    std::uint8_t* o = out + static_cast<std::size_t>(r) * v.cols;
    int c = 0;
    if (packed) {
      c = simd::gray_from_triplets_avx2(px, v.cols, w0, w2, o);
      px += 3L * c;
    }
    for (; c < v.cols; ++c, px += v.col_stride) {
      int y = px[0] * w0 + px[cs] * kG + px[2 * cs] * w2 + (1 << (kShift - 1));
      o[c] = static_cast<std::uint8_t>(y >> kShift);
    }
  }
}

GrayImage to_gray(const ImageView& v) {
  GrayImage g;
  g.rows = v.rows;
  g.cols = v.cols;
  g.pixels.resize(static_cast<std::size_t>(v.rows) * v.cols);
  if (!g.pixels.empty()) to_gray_into(v, g.pixels.data());
  return g;
}

}  // namespace pyfacelm
