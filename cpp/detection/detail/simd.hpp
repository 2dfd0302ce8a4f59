// Internal: the detection stage's kernels for newer instruction sets, chosen at run time.
#pragma once

#include "common/cpu_features.hpp"

namespace pyfacelm::simd {

// Valid convolution of n_in maps (ih x iw, map-major) with n_out kernels (W: n_out rows of
// n_in * kh * kw weights, (map, ky, kx) order), plus bias and, when slopes is not null, PReLU;
// out holds n_out maps of (ih - kh + 1) x (iw - kw + 1). Each output is one FMA chain over the
// weights in their order, then + bias (AVX2 + FMA).
void conv_avx2(int n_in, int ih, int iw, const float* in, int n_out, int kh, int kw, const float* W, const float* bias,
               const float* slopes, float* out);

}  // namespace pyfacelm::simd
