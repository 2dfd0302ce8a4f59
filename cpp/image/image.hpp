// Non-owning views of caller images and the owned gray images the fitter uses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace pyfacelm {

enum class ColorOrder { BGR, RGB };

// A strided, read-only view of 8-bit pixels (gray or 3-channel). Strides are in
// bytes and may be negative (reversed numpy views).
struct ImageView {
  const std::uint8_t* data = nullptr;
  int rows = 0, cols = 0, channels = 1;
  std::ptrdiff_t row_stride = 0, col_stride = 0, channel_stride = 1;
  ColorOrder order = ColorOrder::BGR;

  std::uint8_t at(int r, int c, int ch = 0) const {
    return data[r * row_stride + c * col_stride + ch * channel_stride];
  }
  bool empty() const { return rows <= 0 || cols <= 0; }
};

// A contiguous row-major 8-bit gray image.
struct GrayImage {
  int rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;
  std::uint8_t at(int r, int c) const { return pixels[static_cast<std::size_t>(r) * cols + c]; }
};

// A strided view of 16-bit pixels (gray or 3-channel), strides in bytes.
struct ImageView16 {
  const unsigned char* data = nullptr;
  int rows = 0, cols = 0, channels = 1;
  std::ptrdiff_t row_stride = 0, col_stride = 0, channel_stride = 2;
  bool big_endian = false;
};

// SPEC §12.2: 16-bit images are narrowed as OpenFace does: value / 256, rounded to nearest
// (ties to even, as OpenCV's convertTo), saturated. Returns rows x cols x channels contiguous
// bytes.
std::vector<std::uint8_t> narrow_16bit(const ImageView16& view);

// SPEC §12.2: OpenCV 4.x fixed-point BGR->gray, Y = (3735 B + 19235 G + 9798 R + 2^14) >> 15;
// a gray view is copied unchanged.
GrayImage to_gray(const ImageView& view);
// Which loop converts packed colour rows: `best` is the fastest this CPU runs (AVX2, else the
// baseline SSE2 rows); `baseline` never uses AVX2; `scalar` is the plain formula. All give the
// same bytes; the choice exists so that tests can check every path on one machine.
enum class GrayKernel { best, baseline, scalar };
void to_gray_into(const ImageView& view, std::uint8_t* out, GrayKernel kernel = GrayKernel::best);
// The same into `gray`, reusing its buffer (scratch kept across the frames of a stream).
void to_gray_into(const ImageView& view, GrayImage& gray);

}  // namespace pyfacelm
