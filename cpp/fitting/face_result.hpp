// What one fitted face reports: the fit state (FaceFit) turned into the values users read,
// with the camera-frame geometry for given intrinsics (SPEC §11) and OpenFace's eye-landmark
// layout. The bindings convert this struct as it is; every numeric policy lives here.
#pragma once

#include <Eigen/Core>
#include <optional>
#include <string>
#include <vector>

#include "fitting/clnf.hpp"
#include "gaze/gaze.hpp"
#include "shape/pose.hpp"

namespace pyfacelm {

struct PartResult {
  std::string name;
  Eigen::VectorXf landmarks;  // 2n, [x..., y...]
  Eigen::Matrix<double, 6, 1> params_global;
  Eigen::VectorXd params_local;
  double model_likelihood = 0;
};

struct FaceResult {
  Eigen::VectorXf landmarks;                    // 2n, [x..., y...] image pixels
  Eigen::Matrix3Xf landmarks_3d;                // camera frame, mm; zeros when not finite
  std::optional<Eigen::VectorXf> eye_landmarks; // 2 x 56: the left_eye_28 then the right_eye_28 points
  // Camera frame, mm, same points and order (SPEC_GAZE §4); computed whatever `success` is, as the
  // original writes them; zeros when not finite; absent exactly when eye_landmarks is.
  std::optional<Eigen::Matrix3Xf> eye_landmarks_3d;
  // SPEC_GAZE §5-§6; absent when eye_landmarks is; all zeros when `success` is false, as the
  // original writes it.
  std::optional<Gaze> gaze;
  Eigen::Matrix<double, 6, 1> params_global;    // [scale, rx, ry, rz, tx, ty]
  Eigen::VectorXd params_local;
  Eigen::Matrix<double, 6, 1> pose;             // [Tx, Ty, Tz, Rx, Ry, Rz]; zeros when not finite
  double confidence = 0;
  bool success = false;                         // what the detection call returned
  bool detection_success = false;               // confidence above the validation boundary
  double model_likelihood = 0;
  std::vector<float> landmark_likelihoods;     // per landmark, main model (last non-rigid step)
  int view = 0;
  Eigen::Vector4d box = Eigen::Vector4d::Zero(); // (x, y, w, h) the fit started from
  std::optional<double> detection_score;         // the face detector's score of `box`; none for a given box
  std::vector<PartResult> parts;                // hierarchical part models, in file order
  // Video only: the tracked face's identity and state (-1 / false for single images).
  int face_id = -1;
  bool tracking_initialised = false;
  int failures_in_a_row = -1;
};

// `box` is what the result reports as its box; `success` what the detection call returned.
FaceResult face_result(const CLNF& model, const FaceFit& fit, const Intrinsics& K, const Eigen::Vector4d& box,
                       bool success);

}  // namespace pyfacelm
