// Internal: the PDM's shape sum with AVX2 + FMA (SPEC §2.1), chosen at run time.
#pragma once

#include "common/cpu_features.hpp"

namespace pyfacelm::simd {

// out[i] = mean[i] + sum_k V(i, k) p[k] for a column-major rows x m basis V, summed as
// OpenFace's BLAS does: 16 fused multiply-add partial sums (k mod 16) added in adjacent
// pairs (one running sum when m < 16), then the mean added. Handles rows in blocks of 8 and
// returns how many rows it did; the caller finishes the rest with the same order in scalar
// code (std::fma rounds exactly as the vector FMA does).
int shape3d_avx2(int rows, int m, const float* V, const float* p, const float* mean, float* out);

}  // namespace pyfacelm::simd
