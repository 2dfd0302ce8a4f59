// SPEC_AU §3.6-3.7: dlib's Felzenszwalb HOG variant (cell size 8, 31 features per cell),
// bit-exact with the original build, including its two code paths' tie-breaking and
// product orders and the lane-sum order of OpenFace's SSE3 flags.
#pragma once

#include <cstdint>
#include <vector>

namespace pyfacelm {

struct FHOG {
  int rows = 0, cols = 0;       // output cells (grid cells minus the border ring)
  std::vector<float> features;  // (r * cols + c) * 31 + k
};

// `pixels`: rows x cols x channels contiguous bytes, channels 3 (B, G, R) or 1 (gray).
FHOG fhog(const std::uint8_t* pixels, int rows, int cols, int channels, int cell_size = 8);

}  // namespace pyfacelm
