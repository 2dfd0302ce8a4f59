#include "fitting/face_result.hpp"

namespace pyfacelm {

namespace {

// OpenFace's 56 eye landmarks (CalculateAllEyeLandmarks, SPEC §8): the 28 points of the
// left_eye_28 part, then the 28 of right_eye_28; absent when the model has no eye parts or
// they were not fitted.
std::optional<Eigen::VectorXf> eye_landmarks(const CLNF& model, const FaceFit& f) {
  const int le = model.part_index("left_eye_28"), re = model.part_index("right_eye_28");
  if (le < 0 || re < 0) return std::nullopt;
  const auto l = static_cast<std::size_t>(le), r = static_cast<std::size_t>(re);
  if (std::max(l, r) >= f.parts.size()) return std::nullopt;
  const Eigen::VectorXf& L = f.parts[l].landmarks;
  const Eigen::VectorXf& R = f.parts[r].landmarks;
  if (L.size() == 0 || R.size() == 0) return std::nullopt;
  const Eigen::Index nl = L.size() / 2, nr = R.size() / 2;
  Eigen::VectorXf both(L.size() + R.size());
  both << L.head(nl), R.head(nr), L.tail(nl), R.tail(nr);
  return both;
}

}  // namespace

FaceResult face_result(const CLNF& model, const FaceFit& f, const Intrinsics& K, const Eigen::Vector4d& box,
                       bool success) {
  FaceResult r;
  const PDM<float>& pdm = model.main().pdm();
  r.landmarks = f.main.landmarks;
  r.pose = head_pose(pdm, f.main.g, f.main.p, f.main.landmarks, K);
  r.landmarks_3d = landmarks_3d(pdm, f.main.g, f.main.p, f.main.landmarks, K);
  // A degenerate fit (e.g. a vanishing face) has no camera-frame geometry: report zeros.
  if (!r.pose.allFinite()) r.pose.setZero();
  if (!r.landmarks_3d.allFinite()) r.landmarks_3d.setZero();
  r.eye_landmarks = eye_landmarks(model, f);
  r.params_global = f.main.g.cast<double>();
  r.params_local = f.main.p.cast<double>();
  r.confidence = static_cast<double>(f.detection_certainty);
  r.success = success;
  r.detection_success = f.detection_success;
  r.model_likelihood = static_cast<double>(f.main.model_likelihood);
  r.view = f.main.view_used;
  r.box = box;
  for (std::size_t k = 0; k < f.parts.size() && k < model.parts().size(); ++k) {
    const FitState& ps = f.parts[k];
    r.parts.push_back(PartResult{model.parts()[k].name, ps.landmarks, ps.g.cast<double>(), ps.p.cast<double>(),
                                 static_cast<double>(ps.model_likelihood)});
  }
  return r;
}

}  // namespace pyfacelm
