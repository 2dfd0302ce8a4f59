// The few image kernels the fitter needs, with OpenCV's exact sampling
// semantics where parity depends on them (SPEC §12.3).
#pragma once

#include <cstdint>
#include <functional>

#include "image/image.hpp"

namespace pyfacelm {

// Bilinear weights for a sub-pixel position quantised to 1/32 pixel, as
// OpenCV's float remap table: index (fy * 32 + fx) -> 4 weights.
const float* bilinear_weights(int table_index);

// dst(v, u) = bilinear sample of `src` at M * (u, v, 1), OpenCV warpAffine with
// INTER_LINEAR | WARP_INVERSE_MAP and a constant 0 border: source positions are
// fixed-point (1/1024, rounded to 1/32 pixel), weights from bilinear_weights().
void warp_affine_bilinear(const GrayImage& src, const double M[6], int dst_rows, int dst_cols, float* dst);

// dst(i) = bilinear sample at (map_x[i], map_y[i]) with OpenCV remap semantics
// (float maps rounded to 1/32 pixel, constant 0 border); src is float, row-major.
void remap_bilinear(const float* src, int src_rows, int src_cols, const float* map_x, const float* map_y, int n,
                    float* dst);

// One float plane resized with OpenCV's INTER_LINEAR semantics: source position
// (dst + 0.5) * (src / dst) - 0.5 (float), edge-clamped, horizontal then vertical
// pass, no anti-aliasing.
void resize_linear(const float* src, int src_rows, int src_cols, float* dst, int dst_rows, int dst_cols);

// The same resize (bit-identical results) from a source produced one row at a time:
// fill_row(r, out) writes the src_cols floats of source row r. Each row is asked for at most
// once, so a large 8-bit image can be resized without a float copy of the whole image.
void resize_linear_rows(const std::function<void(int, float*)>& fill_row, int src_rows, int src_cols, float* dst,
                        int dst_rows, int dst_cols);

}  // namespace pyfacelm
