// SPEC_AU §3, §4, §6-§8: per-face AU features and predictions for still images, and the
// per-stream state of a video (running medians, history, end-of-sequence post-processing).
#pragma once

#include <Eigen/Core>
#include <memory>
#include <vector>

#include "au/au_model.hpp"
#include "au/face_alignment.hpp"
#include "au/running_median.hpp"

namespace pyfacelm {

// The appearance and shape descriptors of one face observation.
struct AUFeatures {
  AlignedFace face;           // 112 x 112 x 3 BGR, masked (black on a failed frame)
  std::vector<float> hog;     // 4464 FHOG values (§3.7 order; exact, the original widens to double)
  Eigen::VectorXd geometry;   // [V p (204), p (34)] (§3.8), zero on a failed frame
};

// §3: features of a face given its 68 landmarks [x..., y...] in `frame`.
AUFeatures compute_au_features(const AUModel& model, const ImageView& frame, const Eigen::VectorXf& landmarks);
// The features of a failed frame: black face, zero HOG and geometry.
AUFeatures failed_au_features(const AUModel& model);

// Values in the model's output order (AUModel::predictors()).
struct AUValues {
  std::vector<double> intensity;  // n_intensities
  std::vector<double> presence;   // n_presences
};

// §8.1: static predictions for a still image (intensities clipped to [0, 5]). Every
// predictor must be static.
AUValues predict_static(const AUModel& model, const AUFeatures& features);

// §5-§7: one video / image sequence. Not thread-safe itself; use one per stream.
class AUSequence {
 public:
  explicit AUSequence(std::shared_ptr<const AUModel> model);

  // §6: one frame. `success` is the tracker's detection flag; `features` must be those of the
  // frame (failed_au_features() if !success). Returns the frame-time values: raw, unclipped
  // intensities and 0/1 presences, all 0 on a failed frame.
  AUValues add_frame(const AUFeatures& features, bool success);

  // §7: the post-processed values of every frame so far, as the CSV ends up holding them.
  std::vector<AUValues> postprocess() const;

  int n_frames() const { return static_cast<int>(valid_.size()); }
  const HistogramMedian& hog_median() const { return hog_median_; }
  const HistogramMedian& geometry_median() const { return geom_median_; }
  const AUModel& model() const { return *model_; }

 private:
  void refresh_median_dots();

  std::shared_ptr<const AUModel> model_;
  HistogramMedian hog_median_, geom_median_;
  std::vector<double> median_dots_;                  // per predictor: median . weights (dynamic only)
  std::vector<std::vector<double>> history_;         // per frame: all predictor outputs (0 on failure)
  std::vector<char> valid_;
  std::vector<std::vector<double>> stored_dots_;     // first 3000 valid frames: x . weights per predictor
  std::vector<int> stored_frames_;
};

}  // namespace pyfacelm
