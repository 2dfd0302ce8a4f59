// Builds without the AVX2 kernels (non-x86, MSVC) still link: has_avx2_fma() is false there,
// so this stub is never called.
#include "image/detail/simd.hpp"

namespace pyfacelm::simd {

#if !defined(PYFACELM_HAVE_AVX2_KERNELS)
int gray_from_triplets_avx2(const std::uint8_t*, int, int, int, std::uint8_t*) { return 0; }
#endif

}  // namespace pyfacelm::simd
