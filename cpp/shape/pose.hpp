// Camera-frame outputs of a fit: head pose and 3D landmarks (SPEC §11).
#pragma once

#include <Eigen/Core>

#include "shape/pdm.hpp"

namespace pyfacelm {

struct Intrinsics {
  double fx = 0, fy = 0, cx = 0, cy = 0;
  // §11.1: OpenFace's guess from the image size.
  static Intrinsics guess(int width, int height);
  // Caller-given intrinsics: focal lengths in [1e-3, 1e9] px, principal point within 1e7 px
  // (outside these no camera exists and the pose solver's numbers would overflow);
  // throws InvalidArgument otherwise.
  static Intrinsics checked(double fx, double fy, double cx, double cy);
};

// §11.2: [Tx, Ty, Tz, Rx, Ry, Rz] (mm, radians) by minimising the reprojection
// error of the PDM shape over rotation and translation (solvePnP-style
// Levenberg-Marquardt), started from the weak-perspective estimate. Zeros if s == 0.
Eigen::Matrix<double, 6, 1> head_pose(const PDM<float>& pdm, const PDM<float>::Global& g, const Eigen::VectorXf& p,
                                      const Eigen::VectorXf& landmarks, const Intrinsics& K);

// §11.3: 3 x n camera-frame landmarks (mm) from the fit and the 2D landmarks.
Eigen::Matrix3Xf landmarks_3d(const PDM<float>& pdm, const PDM<float>::Global& g, const Eigen::VectorXf& p,
                              const Eigen::VectorXf& landmarks, const Intrinsics& K);

}  // namespace pyfacelm
