// Internal: run-time dispatch to kernels compiled for newer instruction sets.
// Wheels are built for the baseline ISA; these kernels run only where the CPU has them.
#pragma once

namespace pyfacelm::simd {

// True when the CPU supports AVX2 and FMA and the AVX2 kernels were compiled in.
bool has_avx2_fma();

// C (m x n) = A (m x k) * B (k x n), all row-major and contiguous (AVX2 + FMA).
void gemm_avx2(int m, int n, int k, const float* A, const float* B, float* C);

}  // namespace pyfacelm::simd
