// Builds without the AVX2 kernels (non-x86, MSVC) still link: has_avx2_fma() is false there,
// so this stub is never called.
#include "detection/detail/simd.hpp"

namespace pyfacelm::simd {

#if !defined(PYFACELM_HAVE_AVX2_KERNELS)
void conv_avx2(int, int, int, const float*, int, int, int, const float*, const float*, const float*, float*) {}
#endif

}  // namespace pyfacelm::simd
