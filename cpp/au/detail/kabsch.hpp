// SPEC_AU §3.3 step 3: the scaled rotation of the similarity alignment, with the float
// arithmetic of the original (float SVD by one-sided Jacobi with double norms, products
// accumulated in double and rounded to float). Parity of the aligned faces depends on it:
// a double-precision SVD moves A by a few ulp and flips single pixels.
#pragma once

#include <vector>

namespace pyfacelm::au_detail {

// 2x2 matrix, row-major.
struct Mat22f {
  float a[4];
  float operator()(int r, int c) const { return a[r * 2 + c]; }
};

// A mapping `src` offsets onto `dst` offsets (both n points, x then y interleaved per point).
Mat22f align_shapes_with_scale_exact(const std::vector<float>& src_xy, const std::vector<float>& dst_xy);

}  // namespace pyfacelm::au_detail
