#include "fitting/face_result.hpp"

#include <algorithm>
#include <utility>

namespace pyfacelm {

namespace {

// The part indices of left_eye_28 and right_eye_28 when both were fitted (have landmarks).
std::optional<std::pair<std::size_t, std::size_t>> eye_parts(const CLNF& model, const FaceFit& f) {
  const int le = model.part_index("left_eye_28"), re = model.part_index("right_eye_28");
  if (le < 0 || re < 0) return std::nullopt;
  const auto l = static_cast<std::size_t>(le), r = static_cast<std::size_t>(re);
  if (std::max(l, r) >= f.parts.size()) return std::nullopt;
  if (f.parts[l].landmarks.size() == 0 || f.parts[r].landmarks.size() == 0) return std::nullopt;
  return std::make_pair(l, r);
}

// OpenFace's 56 eye landmarks (CalculateAllEyeLandmarks, SPEC §8): the 28 points of the
// left_eye_28 part, then the 28 of right_eye_28.
Eigen::VectorXf eye_landmarks(const FitState& L, const FitState& R) {
  const Eigen::Index nl = L.landmarks.size() / 2, nr = R.landmarks.size() / 2;
  Eigen::VectorXf both(L.landmarks.size() + R.landmarks.size());
  both << L.landmarks.head(nl), R.landmarks.head(nr), L.landmarks.tail(nl), R.landmarks.tail(nr);
  return both;
}

// One part's 3D points from its own fit (Calculate3DEyeLandmarks, SPEC_GAZE §4).
Eigen::Matrix3Xf part_points_3d(const PartModel& part, const FitState& s, const Intrinsics& K) {
  return landmarks_3d(part.model.pdm(), s.g, s.p, s.landmarks, K);
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
  const bool face_3d_ok = r.landmarks_3d.allFinite();
  if (!r.pose.allFinite()) r.pose.setZero();
  if (!face_3d_ok) r.landmarks_3d.setZero();
  if (const auto eyes = eye_parts(model, f)) {
    const auto [l, rr] = *eyes;
    r.eye_landmarks = eye_landmarks(f.parts[l], f.parts[rr]);
    const Eigen::Matrix3Xf L = part_points_3d(model.parts()[l], f.parts[l], K);
    const Eigen::Matrix3Xf R = part_points_3d(model.parts()[rr], f.parts[rr], K);
    Eigen::Matrix3Xf both(3, L.cols() + R.cols());
    both << L, R;
    r.eye_landmarks_3d = both.allFinite() ? both : Eigen::Matrix3Xf::Zero(3, both.cols());
    // FeatureExtraction estimates gaze only for a successful frame (SPEC_GAZE §1, §7); the
    // eyeball needs the 68-point layout's eye corners.
    Gaze g;
    if (success && both.allFinite() && face_3d_ok && r.landmarks_3d.cols() >= 46)
      g = estimate_gaze(L, R, r.landmarks_3d, r.pose.tail<3>().cast<float>());
    if (!(g.gaze_0.allFinite() && g.gaze_1.allFinite() && g.angle.allFinite())) g = Gaze{};
    r.gaze = g;
  }
  r.params_global = f.main.g.cast<double>();
  r.params_local = f.main.p.cast<double>();
  r.confidence = static_cast<double>(f.detection_certainty);
  r.success = success;
  r.detection_success = f.detection_success;
  r.model_likelihood = static_cast<double>(f.main.model_likelihood);
  r.landmark_likelihoods = f.main.landmark_likelihoods;
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
