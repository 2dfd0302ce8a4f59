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
