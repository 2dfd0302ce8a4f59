// Run-time CPU feature detection for simd.hpp (compiled for the baseline ISA).
#include "detection/detail/simd.hpp"

namespace pyfacelm::simd {

bool has_avx2_fma() {
#if defined(PYFACELM_HAVE_AVX2_KERNELS) && (defined(__GNUC__) || defined(__clang__)) && \
    (defined(__x86_64__) || defined(__i386__))
  static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return ok;
#else
  return false;
#endif
}

#if !defined(PYFACELM_HAVE_AVX2_KERNELS)
void gemm_avx2(int, int, int, const float*, const float*, float*) {}
#endif

}  // namespace pyfacelm::simd
