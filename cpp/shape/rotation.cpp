// SPEC §2.2: Euler (Rx*Ry*Rz), quaternion-based inverse, Rodrigues.
#include "shape/rotation.hpp"

#include <Eigen/SVD>
#include <algorithm>
#include <cmath>

namespace pyfacelm {

template <class T>
Mat3<T> euler_to_rotation(T rx, T ry, T rz) {
  using std::cos;
  using std::sin;
  T s1 = sin(rx), s2 = sin(ry), s3 = sin(rz);
  T c1 = cos(rx), c2 = cos(ry), c3 = cos(rz);
  Mat3<T> R;
  R(0, 0) = c2 * c3;
  R(0, 1) = -c2 * s3;
  R(0, 2) = s2;
  R(1, 0) = c1 * s3 + c3 * s1 * s2;
  R(1, 1) = c1 * c3 - s1 * s2 * s3;
  R(1, 2) = -c2 * s1;
  R(2, 0) = s1 * s3 - c1 * c3 * s2;
  R(2, 1) = c3 * s1 + c1 * s2 * s3;
  R(2, 2) = c1 * c2;
  return R;
}

template <class T>
Vec3<T> rotation_to_euler(const Mat3<T>& R) {
  using std::asin;
  using std::atan2;
  using std::sqrt;
  T q0 = sqrt(T(1) + R(0, 0) + R(1, 1) + R(2, 2)) / T(2);
  T q1 = (R(2, 1) - R(1, 2)) / (T(4) * q0);
  T q2 = (R(0, 2) - R(2, 0)) / (T(4) * q0);
  T q3 = (R(1, 0) - R(0, 1)) / (T(4) * q0);
  T t1 = T(2) * (q0 * q2 + q1 * q3);
  t1 = std::min(T(1), std::max(T(-1), t1));
  T yaw = asin(t1);
  T pitch = atan2(T(2) * (q0 * q1 - q2 * q3), q0 * q0 - q1 * q1 - q2 * q2 + q3 * q3);
  T roll = atan2(T(2) * (q0 * q3 - q1 * q2), q0 * q0 + q1 * q1 - q2 * q2 - q3 * q3);
  return Vec3<T>(pitch, yaw, roll);
}

Eigen::Vector3d rotation_to_axis_angle(const Eigen::Matrix3d& Rin) {
  Eigen::JacobiSVD<Eigen::Matrix3d> svd(Rin, Eigen::ComputeFullU | Eigen::ComputeFullV);
  Eigen::Matrix3d R = svd.matrixU() * svd.matrixV().transpose();
  Eigen::Vector3d r(R(2, 1) - R(1, 2), R(0, 2) - R(2, 0), R(1, 0) - R(0, 1));
  double s = std::sqrt((r.x() * r.x() + r.y() * r.y() + r.z() * r.z()) * 0.25);
  double c = std::clamp((R(0, 0) + R(1, 1) + R(2, 2) - 1) * 0.5, -1.0, 1.0);
  double theta = std::acos(c);
  if (s < 1e-5) {
    if (c > 0) return Eigen::Vector3d::Zero();
    // Angle close to pi: the antisymmetric part vanishes, take the axis from
    // the symmetric part and fix the relative signs from off-diagonal terms.
    double rx = std::sqrt(std::max((R(0, 0) + 1) * 0.5, 0.0));
    double ry = std::sqrt(std::max((R(1, 1) + 1) * 0.5, 0.0)) * (R(0, 1) < 0 ? -1.0 : 1.0);
    double rz = std::sqrt(std::max((R(2, 2) + 1) * 0.5, 0.0)) * (R(0, 2) < 0 ? -1.0 : 1.0);
    if (std::fabs(rx) < std::fabs(ry) && std::fabs(rx) < std::fabs(rz) && (R(1, 2) > 0) != (ry * rz > 0)) rz = -rz;
    Eigen::Vector3d v(rx, ry, rz);
    double n = v.norm();
    return n > 0 ? Eigen::Vector3d(v * (theta / n)) : Eigen::Vector3d::Zero();
  }
  return r * (theta / (2 * s));
}

Eigen::Matrix3d axis_angle_to_rotation(const Eigen::Vector3d& v) {
  double theta = v.norm();
  if (theta < 2.220446049250313e-16) return Eigen::Matrix3d::Identity();
  Eigen::Vector3d k = v / theta;
  double c = std::cos(theta), s = std::sin(theta), c1 = 1 - c;
  Eigen::Matrix3d K;
  K << 0, -k.z(), k.y(), k.z(), 0, -k.x(), -k.y(), k.x(), 0;
  return c * Eigen::Matrix3d::Identity() + c1 * (k * k.transpose()) + s * K;
}

template <class T>
Vec3<T> axis_angle_to_euler(const Vec3<T>& v) {
  Mat3<T> R = axis_angle_to_rotation(v.template cast<double>()).template cast<T>();
  return rotation_to_euler<T>(R);
}

template Mat3<float> euler_to_rotation<float>(float, float, float);
template Mat3<double> euler_to_rotation<double>(double, double, double);
template Vec3<float> rotation_to_euler<float>(const Mat3<float>&);
template Vec3<double> rotation_to_euler<double>(const Mat3<double>&);
template Vec3<float> axis_angle_to_euler<float>(const Vec3<float>&);
template Vec3<double> axis_angle_to_euler<double>(const Vec3<double>&);

}  // namespace pyfacelm
