// Internal: the experts stage's kernels for newer instruction sets, chosen at load time
// (PatchExperts::load) and reached only where simd::has_avx2_fma() holds.
#pragma once

#include "common/cpu_features.hpp"

namespace pyfacelm::simd {

// CCNF neuron layer (SPEC §3.5) at every position of a win x win window, AVX2 + FMA:
// r[y * win + x] = sum_k two_alpha[k] / (1 + exp(-q_k(y, x))), where q_k is neuron k
// (row k of `weights`: [bias, h*w template, row by row]) applied to the contrast-normalised
// h x w window at (y, x) of `aoi` ((win + h - 1) x (win + w - 1), row-major).
void ccnf_neurons_avx2(const float* aoi, int win, int w, int h, const float* weights, int n_neurons,
                       const float* two_alpha, float* r);

}  // namespace pyfacelm::simd

namespace pyfacelm::simd {

// The SVR cross-correlation numerators (SPEC §3.4), AVX2, bit-identical to the portable loop:
// num[y * win + x] = sum over the h x w template t of t(yy, xx) * img(y + yy, x + xx), summed
// as four partial sums (xx mod 4 in blocks of four per row, a row's tail into the first)
// joined as (s0 + s1) + (s2 + s3), without FMA. img is a x a (a = win + w - 1), win >= 4.
void svr_numerators_avx2(const double* img, int a, const double* t, int h, int w, int win, double* num);

}  // namespace pyfacelm::simd
