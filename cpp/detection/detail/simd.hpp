// Internal: the detection stage's kernels for newer instruction sets, chosen at run time.
#pragma once

#include "common/cpu_features.hpp"

namespace pyfacelm::simd {

// C (m x n) = A (m x k) * B (k x n), all row-major and contiguous (AVX2 + FMA).
void gemm_avx2(int m, int n, int k, const float* A, const float* B, float* C);

}  // namespace pyfacelm::simd
