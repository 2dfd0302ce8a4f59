// SPEC_AU §2, §4: a loaded AU configuration (module file, predictors, PDM, mask triangles).
// Immutable after loading: one instance can serve any number of threads and sequences.
#pragma once

#include <Eigen/Core>
#include <memory>
#include <string>
#include <vector>

#include "au/au_model_files.hpp"
#include "shape/pdm.hpp"

namespace pyfacelm {

// One AU output: a linear SVR (intensity) or SVM (presence), static or person-normalised.
struct AUPredictor {
  std::string name;
  AUPredictorKind kind = AUPredictorKind::StaticSVR;
  double cutoff = -1.0;     // dynamic SVRs: offset quantile (§7.2)
  Eigen::VectorXd weights;  // over the feature vector [HOG, geometry]
  double bias = 0.0;
  double means_dot = 0.0;   // means . weights (the group's means, §2.3)
  double pos_label = 1.0, neg_label = 0.0;

  bool dynamic() const { return kind == AUPredictorKind::DynamicSVR || kind == AUPredictorKind::DynamicSVM; }
  bool intensity() const { return kind == AUPredictorKind::StaticSVR || kind == AUPredictorKind::DynamicSVR; }
};

class AUModel {
 public:
  // `module_path`: AU_predictors/main_dynamic_svms.txt or main_static_svms.txt.
  static std::shared_ptr<const AUModel> load(const std::string& module_path);

  static constexpr int kFaceSize = 112;
  static constexpr float kSimScale = 0.7f;
  static constexpr int kHogDims = 12 * 12 * 31;

  const std::string& path() const { return path_; }
  const PDM<float>& pdm() const { return pdm_; }
  const RowMatrix<int>& triangles() const { return triangles_; }
  int geometry_dims() const { return 3 * pdm_.n_points() + pdm_.n_modes(); }
  int feature_dims() const { return kHogDims + geometry_dims(); }
  // Predictors in output order: intensities by sorted name, then presences by sorted name.
  const std::vector<AUPredictor>& predictors() const { return predictors_; }
  int n_intensities() const { return n_intensities_; }
  int n_presences() const { return static_cast<int>(predictors_.size()) - n_intensities_; }
  bool has_dynamic() const;

 private:
  std::string path_;
  PDM<float> pdm_;
  RowMatrix<int> triangles_;
  std::vector<AUPredictor> predictors_;
  int n_intensities_ = 0;
};

}  // namespace pyfacelm
