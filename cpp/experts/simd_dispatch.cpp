// Builds without the AVX2 kernels (non-x86, MSVC) still link: has_avx2_fma() is false there,
// so PatchExperts never selects this stub.
#include "experts/detail/simd.hpp"

namespace pyfacelm::simd {

#if !defined(PYFACELM_HAVE_AVX2_KERNELS)
void svr_numerators_avx2(const double*, int, const double*, int, int, int, double*) {}
void ccnf_windows_avx2(const float*, int, int, int, int, float*) {}
#endif

}  // namespace pyfacelm::simd
