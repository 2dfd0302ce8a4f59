// Rotation conventions of the shape model (SPEC §2.2).
#pragma once

#include <Eigen/Core>

namespace pyfacelm {

template <class T>
using Mat3 = Eigen::Matrix<T, 3, 3>;
template <class T>
using Vec3 = Eigen::Matrix<T, 3, 1>;

// R = Rx(rx) * Ry(ry) * Rz(rz), evaluated in T (OpenFace evaluates it in float).
template <class T>
Mat3<T> euler_to_rotation(T rx, T ry, T rz);

// (pitch, yaw, roll) through the quaternion of R, evaluated in T.
template <class T>
Vec3<T> rotation_to_euler(const Mat3<T>& R);

// Axis-angle (Rodrigues) conversions, always in double: the matrix is first
// re-orthonormalised through its SVD, as OpenCV's Rodrigues does.
Eigen::Vector3d rotation_to_axis_angle(const Eigen::Matrix3d& R);
Eigen::Matrix3d axis_angle_to_rotation(const Eigen::Vector3d& v);

// Euler angles of an axis-angle vector: the matrix is built in double, narrowed
// to T, then converted with rotation_to_euler<T>.
template <class T>
Vec3<T> axis_angle_to_euler(const Vec3<T>& v);

}  // namespace pyfacelm
