// Gaze of both eyes from the camera-frame eye and face points (SPEC_GAZE §5-§6): a ray from the
// camera through the pupil meets a 12 mm eyeball behind the eye corners; the gaze is the unit
// vector from the eyeball centre to that point. Every step follows the original's float / double
// rounding, because the ray-sphere discriminant cancels catastrophically (§5) and a plain double
// evaluation would move the gaze by up to 2e-4.
#pragma once

#include <Eigen/Core>

namespace pyfacelm {

struct Gaze {
  Eigen::Vector3f gaze_0 = Eigen::Vector3f::Zero();  // image-left eye (left_eye_28), camera frame, unit
  Eigen::Vector3f gaze_1 = Eigen::Vector3f::Zero();  // image-right eye (right_eye_28)
  Eigen::Vector2f angle = Eigen::Vector2f::Zero();   // (x, y) radians; (0, 0) looking along -Z
};

// §5 for one eye. `eye` holds the eye model's 3D points (3 x n, n >= 8; points 0-7 ring the iris),
// `corner_a`, `corner_b` the face's 3D eye corners, `head_euler` the head pose angles (rx, ry, rz).
Eigen::Vector3f eye_gaze(const Eigen::Matrix3Xf& eye, const Eigen::Vector3f& corner_a, const Eigen::Vector3f& corner_b,
                         const Eigen::Vector3f& head_euler);

// §6: the two eyes' mean direction as (atan2(x, -z), atan2(y, -z)).
Eigen::Vector2f gaze_angle(const Eigen::Vector3f& gaze_0, const Eigen::Vector3f& gaze_1);

// Both eyes: `face` is the 68-point face (3 x n, n >= 46; corners 36/39 and 42/45), `left` and
// `right` the 3D points of left_eye_28 and right_eye_28. Throws InvalidArgument on too few points.
Gaze estimate_gaze(const Eigen::Matrix3Xf& left, const Eigen::Matrix3Xf& right, const Eigen::Matrix3Xf& face,
                   const Eigen::Vector3f& head_euler);

}  // namespace pyfacelm
