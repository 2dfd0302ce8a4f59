// Which instruction sets this CPU offers to the kernels compiled for them. Wheels are built
// for the baseline ISA; kernels in a stage's avx2/ folder run only where this says so.
#pragma once

namespace pyfacelm::simd {

// True when the CPU supports AVX2 and FMA and the AVX2 kernels were compiled in.
bool has_avx2_fma();

}  // namespace pyfacelm::simd
