// Internal: the image stage's kernels for newer instruction sets. They are integer-exact
// (the same bytes as the portable loops), so they are chosen by the CPU alone.
#pragma once

#include <cstdint>

#include "common/cpu_features.hpp"

namespace pyfacelm::simd {

// Fixed-point colour to gray (SPEC §12.2) of n pixels stored as contiguous 3-byte triplets:
// out[i] = (w0 * px[3i] + 19235 * px[3i + 1] + w2 * px[3i + 2] + 2^14) >> 15. Returns how many
// leading pixels it converted (it leaves a short tail to the caller, so that it never reads
// past px[3n - 1]).
int gray_from_triplets_avx2(const std::uint8_t* px, int n, int w0, int w2, std::uint8_t* out);

}  // namespace pyfacelm::simd
