// Internal: the experts stage's kernels for newer instruction sets, chosen at load time
// (PatchExperts::load) and reached only where simd::has_avx2_fma() holds.
#pragma once

#include "common/cpu_features.hpp"

namespace pyfacelm::simd {

// The SVR cross-correlation numerators (SPEC §3.4), AVX2, bit-identical to the portable loop:
// num[y * win + x] = sum over the h x w template t of t(yy, xx) * img(y + yy, x + xx), summed
// as four partial sums (xx mod 4 in blocks of four per row, a row's tail into the first)
// joined as (s0 + s1) + (s2 + s3), without FMA. img is a x a (a = win + w - 1), win >= 4.
void svr_numerators_avx2(const double* img, int a, const double* t, int h, int w, int win, double* num);

}  // namespace pyfacelm::simd

namespace pyfacelm::simd {

// The CCNF expert's normalised windows (SPEC §3.5), AVX2, bit-identical to the portable loop:
// row x * win + y of X (dim = 1 + w*h floats each) = [1, the h x w window at (y, x) of aoi
// (row stride aoi_w), minus its mean, divided by its L2 norm (0 -> 1)], the mean and the
// sum of squares summed as eight interleaved partial sums joined pairwise, without FMA.
void ccnf_windows_avx2(const float* aoi, int aoi_w, int win, int w, int h, float* X);

}  // namespace pyfacelm::simd
