// One landmark model (PDM + patch experts, no parts) and its fitting:
// NU-RLMS over the scales (SPEC §4).
#pragma once

#include <Eigen/Core>
#include <string>
#include <vector>

#include "image/image.hpp"
#include "experts/patch_experts.hpp"
#include "shape/pdm.hpp"

namespace pyfacelm {

// The fitting parameters of one model (a subset of OpenFace's FaceModelParameters, SPEC §10).
struct FitParameters {
  int num_iterations = 5;
  float sigma = 1.5f;
  float reg_factor = 25.f;
  float weight_factor = 0.f;
  bool refine_parameters = true;  // §4.2 per-scale adaptation
};

// The mutable state of a fit: OpenFace keeps it in the model object; we keep it
// in the caller's hands so that models stay immutable and shareable.
struct FitState {
  PDM<float>::Global g = PDM<float>::Global::Zero();
  Eigen::VectorXf p;
  Eigen::VectorXf landmarks;                 // 2n, after the fit
  float model_likelihood = -10.f;
  std::vector<float> landmark_likelihoods;
  int view_used = 0;
};

class LandmarkModel {
 public:
  // `description` is a per-model file such as clnf_general.txt (SPEC §1.3);
  // `windows[scale]` lists the window sizes to prepare at load time.
  static LandmarkModel load(const std::string& description, const std::vector<std::vector<int>>& windows);

  const PDM<float>& pdm() const { return pdm_; }
  const PatchExperts& experts() const { return experts_; }
  int n_points() const { return pdm_.n_points(); }

  // §4.1: fits `st` (starting from st.g, st.p) with one window size per scale
  // (0 = skip). Returns false when the face became too small (scale < 0.25).
  bool fit(const GrayImage& image, const std::vector<int>& window_sizes, const FitParameters& P, FitState& st) const;

 private:
  PDM<float> pdm_;
  PatchExperts experts_;
};

}  // namespace pyfacelm
