// SPEC_GAZE §5-§6, with the original's rounding at every step (see gaze.hpp).
#include "gaze/gaze.hpp"

#include <cmath>

#include "common/errors.hpp"
#include "shape/rotation.hpp"

namespace pyfacelm {

namespace {

// The eyeball: its centre sits this far from the corners' midpoint in the head frame (mm:
// 3.5 up, 7 behind), and it has this radius (mm).
constexpr double kOffsetY = -3.5, kOffsetZ = 7.0;
constexpr float kRadius = 12.f;

// v / |v| with the norm in double and one rounding per component (§5.3, §5.6).
Eigen::Vector3f normalised(const Eigen::Vector3f& v) {
  const double x = v.x(), y = v.y(), z = v.z();
  const double n = std::sqrt(x * x + y * y + z * z);
  return Eigen::Vector3f(static_cast<float>(x / n), static_cast<float>(y / n), static_cast<float>(z / n));
}

}  // namespace

Eigen::Vector3f eye_gaze(const Eigen::Matrix3Xf& eye, const Eigen::Vector3f& corner_a, const Eigen::Vector3f& corner_b,
                         const Eigen::Vector3f& head_euler) {
  if (eye.cols() < 8) throw InvalidArgument("eye_gaze: an eye model needs at least the 8 iris points");
  const Mat3<float> R = euler_to_rotation<float>(head_euler[0], head_euler[1], head_euler[2]);
  // §5.2 pupil: mean of the iris ring, summed in double.
  Eigen::Vector3f pupil;
  for (int k = 0; k < 3; ++k) {
    double s = 0;
    for (int i = 0; i < 8; ++i) s += eye(k, i);
    pupil[k] = static_cast<float>(s / 8.0);
  }
  const Eigen::Vector3f d = normalised(pupil);  // §5.3 ray from the camera centre
  // §5.4 eyeball centre: corners' midpoint plus the rotated offset (each component one double sum).
  const Eigen::Vector3f mid = (corner_a + corner_b) * 0.5f;
  Eigen::Vector3f centre;
  for (int j = 0; j < 3; ++j) {
    const double q = static_cast<double>(R(j, 0)) * 0.0 + static_cast<double>(R(j, 1)) * kOffsetY +
                     static_cast<double>(R(j, 2)) * kOffsetZ;
    centre[j] = mid[j] + static_cast<float>(q);
  }
  // §5.5 ray-sphere intersection in float, in the original's order.
  const float a = d.x() * d.x() + d.y() * d.y() + d.z() * d.z();
  const float b = (2.f * d.x()) * (0.f - centre.x()) + (2.f * d.y()) * (0.f - centre.y()) +
                  (2.f * d.z()) * (0.f - centre.z());
  const float c = centre.x() * centre.x() + centre.y() * centre.y() + centre.z() * centre.z() - kRadius * kRadius;
  const float disc = b * b - (4.f * a) * c;
  Eigen::Vector3f hit;
  if (disc < 0.f) {
    // The original's quirk: a fixed point, not a direction (the gaze then points from the
    // centre towards (0, 0, -1)).
    hit = Eigen::Vector3f(0.f, 0.f, -1.f);
  } else {
    // Quirk kept: the root is multiplied by a (which is 1 within a few ulp), not divided.
    const float t = ((-b - std::sqrt(disc)) / 2.f) * a;
    hit = Eigen::Vector3f(t * d.x(), t * d.y(), t * d.z());
  }
  return normalised(hit - centre);  // §5.6
}

Eigen::Vector2f gaze_angle(const Eigen::Vector3f& gaze_0, const Eigen::Vector3f& gaze_1) {
  const Eigen::Vector3f m = (gaze_0 + gaze_1) / 2.f;
  // Single-precision atan2 (atan2f), as the original: the double one rounded differs in ~23 %.
  return Eigen::Vector2f(std::atan2(m.x(), -m.z()), std::atan2(m.y(), -m.z()));
}

Gaze estimate_gaze(const Eigen::Matrix3Xf& left, const Eigen::Matrix3Xf& right, const Eigen::Matrix3Xf& face,
                   const Eigen::Vector3f& head_euler) {
  if (face.cols() < 46) throw InvalidArgument("estimate_gaze: the face needs the 68-point layout (eye corners 36-45)");
  Gaze g;
  g.gaze_0 = eye_gaze(left, face.col(36), face.col(39), head_euler);
  g.gaze_1 = eye_gaze(right, face.col(42), face.col(45), head_euler);
  g.angle = gaze_angle(g.gaze_0, g.gaze_1);
  return g;
}

}  // namespace pyfacelm
