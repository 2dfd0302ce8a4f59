// SPEC §12.2: 16-bit input images, narrowed to 8 bits as OpenFace reads them.
#include <cmath>

#include "image/image.hpp"

namespace pyfacelm {

std::vector<std::uint8_t> narrow_16bit(const ImageView16& v) {
  std::vector<std::uint8_t> out(static_cast<std::size_t>(v.rows) * v.cols * v.channels);
  std::size_t k = 0;
  for (int r = 0; r < v.rows; ++r)
    for (int c = 0; c < v.cols; ++c)
      for (int ch = 0; ch < v.channels; ++ch) {
        const unsigned char* p = v.data + r * v.row_stride + c * v.col_stride + ch * v.channel_stride;
        const unsigned val = v.big_endian ? (unsigned(p[0]) << 8 | p[1]) : (unsigned(p[1]) << 8 | p[0]);
        const double q = std::nearbyint(val / 256.0);
        out[k++] = static_cast<std::uint8_t>(q > 255 ? 255 : q);
      }
  return out;
}

}  // namespace pyfacelm
