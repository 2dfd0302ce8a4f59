// Internal: run-time dispatch to kernels compiled for newer instruction sets.
// Wheels are built for the baseline ISA; these kernels run only where the CPU has them.
#pragma once

namespace pyfacelm::simd {

// True when the CPU supports AVX2 and FMA and the AVX2 kernels were compiled in.
bool has_avx2_fma();

// C (m x n) = A (m x k) * B (k x n), all row-major and contiguous (AVX2 + FMA).
void gemm_avx2(int m, int n, int k, const float* A, const float* B, float* C);

// out[i] = mean[i] + sum_k V(i, k) p[k] for a column-major rows x m basis V, summed as
// OpenFace's BLAS does (SPEC §2.1): 16 fused multiply-add partial sums (k mod 16) added in
// adjacent pairs (one running sum when m < 16), then the mean added (AVX2 + FMA).
void shape3d_avx2(int rows, int m, const float* V, const float* p, const float* mean, float* out);

}  // namespace pyfacelm::simd
