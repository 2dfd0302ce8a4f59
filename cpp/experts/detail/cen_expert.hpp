// Internal: CEN response of one expert on one area of interest.
#pragma once

#include "experts/patch_experts.hpp"

namespace pyfacelm {

// `flip` evaluates the expert on the horizontally mirrored AOI and mirrors the
// response back (SPEC §3.6 step 4).
void cen_response(const CENResponder& e, const float* aoi, int aoi_size, int win, bool flip, ResponseMap& out);

}  // namespace pyfacelm
