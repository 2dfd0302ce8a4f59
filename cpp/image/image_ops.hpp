// The few image kernels the fitter needs, with OpenCV's exact sampling
// semantics where parity depends on them (SPEC §12.3).
#pragma once

#include <cstdint>

#include "image/image.hpp"

namespace pyfacelm {

// Bilinear weights for a sub-pixel position quantised to 1/32 pixel, as
// OpenCV's float remap table: index (fy * 32 + fx) -> 4 weights.
const float* bilinear_weights(int table_index);

// dst(v, u) = bilinear sample of `src` at M * (u, v, 1), OpenCV warpAffine with
// INTER_LINEAR | WARP_INVERSE_MAP and a constant 0 border: source positions are
// fixed-point (1/1024, rounded to 1/32 pixel), weights from bilinear_weights().
void warp_affine_bilinear(const GrayImage& src, const double M[6], int dst_rows, int dst_cols, float* dst);

// An 8-bit image warped with OpenCV's warpAffine(src, dst, M, size, INTER_LINEAR) (M maps
// source to destination; it is inverted in double first) and a constant 0 border: 1/32-pixel
// positions, integer weights summing to 2^15, rounded. The view is read through its strides
// (only the pixels the warp needs). dst is contiguous dst_rows x dst_cols x 3 bytes in B, G, R
// order whatever the view's order; a gray view fills all three channels.
void warp_affine_bgr(const ImageView& src, const double M[6], int dst_rows, int dst_cols, std::uint8_t* dst);

// dst(i) = bilinear sample at (map_x[i], map_y[i]) with OpenCV remap semantics
// (float maps rounded to 1/32 pixel, constant 0 border); src is float, row-major.
void remap_bilinear(const float* src, int src_rows, int src_cols, const float* map_x, const float* map_y, int n,
                    float* dst);

// One float plane resized with OpenCV's INTER_LINEAR semantics: source position
// (dst + 0.5) * (src / dst) - 0.5 (float), edge-clamped, horizontal then vertical
// pass, no anti-aliasing.
void resize_linear(const float* src, int src_rows, int src_cols, float* dst, int dst_rows, int dst_cols);

// The same resize (bit-identical results) of n channels of an 8-bit view, one float plane each
// (channel channels[k] -> dst[k]). The source is the src_rows x src_cols window whose top-left
// pixel is (top, left) in the view; window pixels outside the view read as 0 (a zero-padded
// crop). Reads only the pixels the interpolation weighs, straight through the view's strides:
// no float copy of the image or the crop, no work for skipped rows and columns.
void resize_linear_u8(const ImageView& src, int top, int left, int src_rows, int src_cols, const int* channels, int n,
                      float* const* dst, int dst_rows, int dst_cols);

}  // namespace pyfacelm
