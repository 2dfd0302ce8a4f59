// OpenFace's FaceModelParameters for the main model (SPEC §10): what its command line sets.
#pragma once

#include <vector>

#include "fitting/landmark_model.hpp"

namespace pyfacelm {

struct DetectionParameters {
  FitParameters fit;
  // One window per patch scale (0 = scale skipped); missing entries count as 0, extra ones
  // are unused. `init` for images and (re)detections, `small` for tracking after a success.
  std::vector<int> window_sizes_init{11, 9, 7, 5};
  std::vector<int> window_sizes_small{0, 9, 7, 0};
  bool validate_detections = true;
  float validation_boundary = 0.725f;
  bool refine_hierarchical = true;
  bool multi_view = false;
  int reinit_video_every = 2;

  // Throws InvalidArgument naming the first field outside what a fit can use: window sizes
  // odd (the mean shift centres a window on an integer pixel, SPEC §4.3) and at most
  // kMaxWindow, at least one used per list; sigma positive, reg/weight factors non-negative,
  // all finite; iterations 1..kMaxIterations; boundary in [0, 1]; reinit interval >= 1.
  void validate() const;

  // Bounds a caller can ask for: beyond them a fit's memory (a CCNF window's covariance
  // has window^4 entries) or time grows without any use.
  static constexpr int kMaxWindow = 31;
  static constexpr int kMaxIterations = 1000;
};

// §10.3: the command-line defaults, and with OpenFace's `-wild` flag. `ceclm` applies the
// CE-CLM adjustment (sigma x1.5, reg x0.9) that OpenFace ties to the stem main_ceclm_general.
DetectionParameters openface_parameters(bool ceclm, bool wild);

}  // namespace pyfacelm
