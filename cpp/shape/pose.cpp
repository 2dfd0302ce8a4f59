// SPEC §11.1-11.3: intrinsics guess, head pose, 3D landmarks.
#include "shape/pose.hpp"

#include <Eigen/Cholesky>
#include <cmath>

#include "common/errors.hpp"
#include "shape/rotation.hpp"

namespace pyfacelm {

Intrinsics Intrinsics::guess(int width, int height) {
  Intrinsics k;
  k.cx = static_cast<float>(width) / 2.f;
  k.cy = static_cast<float>(height) / 2.f;
  const float fx = 500.f * (static_cast<float>(width) / 640.f), fy = 500.f * (static_cast<float>(height) / 480.f);
  k.fx = k.fy = (fx + fy) / 2.f;
  return k;
}

Intrinsics Intrinsics::checked(double fx, double fy, double cx, double cy) {
  if (!(fx >= 1e-3 && fx <= 1e9) || !(fy >= 1e-3 && fy <= 1e9))
    throw InvalidArgument("intrinsics: fx and fy must be focal lengths in pixels, between 1e-3 and 1e9");
  if (!(std::fabs(cx) <= 1e7) || !(std::fabs(cy) <= 1e7))
    throw InvalidArgument("intrinsics: the principal point (cx, cy) must lie within 1e7 pixels");
  return Intrinsics{fx, fy, cx, cy};
}

namespace {

// Residuals (2n) of projecting object points with (rvec, tvec).
void reprojection(const Eigen::Matrix3Xd& obj, const Eigen::VectorXd& img, const Intrinsics& K,
                  const Eigen::Matrix<double, 6, 1>& x, Eigen::VectorXd& r) {
  const int n = static_cast<int>(obj.cols());
  const Eigen::Matrix3d R = axis_angle_to_rotation(x.head<3>());
  r.resize(2 * n);
  for (int i = 0; i < n; ++i) {
    const Eigen::Vector3d P = R * obj.col(i) + x.tail<3>();
    r[i] = K.fx * P.x() / P.z() + K.cx - img[i];
    r[i + n] = K.fy * P.y() / P.z() + K.cy - img[i + n];
  }
}

}  // namespace

Eigen::Matrix<double, 6, 1> head_pose(const PDM<float>& pdm, const PDM<float>::Global& g, const Eigen::VectorXf& p,
                                      const Eigen::VectorXf& landmarks, const Intrinsics& K) {
  Eigen::Matrix<double, 6, 1> out = Eigen::Matrix<double, 6, 1>::Zero();
  if (landmarks.size() == 0 || g[0] == 0) return out;
  const int n = pdm.n_points();
  const Eigen::VectorXf S = pdm.shape3d(p);
  Eigen::Matrix3Xd obj(3, n);
  for (int i = 0; i < n; ++i) obj.col(i) = Eigen::Vector3d(S[i], S[i + n], S[i + 2 * n]);
  const Eigen::VectorXd img = landmarks.cast<double>();
  // Start: depth from the weak-perspective scale; the Euler angles are used as
  // if they were an axis-angle vector, as the original does (SPEC §11.2).
  const double Z = K.fx / g[0];
  Eigen::Matrix<double, 6, 1> x;
  x << g[1], g[2], g[3], (g[4] - K.cx) * Z / K.fx, (g[5] - K.cy) * Z / K.fy, Z;
  Eigen::VectorXd r, r2;
  reprojection(obj, img, K, x, r);
  double err = r.squaredNorm(), lambda = 1e-3;
  Eigen::MatrixXd J(2 * n, 6);
  for (int it = 0; it < 100; ++it) {
    for (int k = 0; k < 6; ++k) {
      const double h = 1e-6 * std::max(1.0, std::fabs(x[k]));
      Eigen::Matrix<double, 6, 1> xp = x, xm = x;
      xp[k] += h;
      xm[k] -= h;
      reprojection(obj, img, K, xp, r2);
      J.col(k) = r2;
      reprojection(obj, img, K, xm, r2);
      J.col(k) = (J.col(k) - r2) / (2 * h);
    }
    const Eigen::Matrix<double, 6, 6> A = J.transpose() * J;
    const Eigen::Matrix<double, 6, 1> b = J.transpose() * r;
    bool improved = false;
    for (int tries = 0; tries < 20 && !improved; ++tries) {
      Eigen::Matrix<double, 6, 6> Ad = A;
      Ad.diagonal() *= (1 + lambda);
      const Eigen::Matrix<double, 6, 1> step = Ad.ldlt().solve(-b);
      const Eigen::Matrix<double, 6, 1> xn = x + step;
      reprojection(obj, img, K, xn, r2);
      const double e2 = r2.squaredNorm();
      if (std::isfinite(e2) && e2 <= err) {
        const double gain = err - e2;
        x = xn;
        r = r2;
        err = e2;
        lambda = std::max(lambda / 10, 1e-12);
        improved = true;
        if (gain <= 1e-14 * std::max(1.0, err) || step.norm() < 1e-12) it = 1000;
      } else {
        lambda *= 10;
      }
    }
    if (!improved) break;
  }
  if (!x.allFinite()) return out;
  const Vec3<float> euler = axis_angle_to_euler<float>(x.head<3>().cast<float>());
  out << x[3], x[4], x[5], euler[0], euler[1], euler[2];
  return out;
}

Eigen::Matrix3Xf landmarks_3d(const PDM<float>& pdm, const PDM<float>::Global& g, const Eigen::VectorXf& p,
                              const Eigen::VectorXf& landmarks, const Intrinsics& K) {
  const int n = pdm.n_points();
  const Eigen::VectorXf S = pdm.shape3d(p);
  const Mat3<float> R = euler_to_rotation<float>(g[1], g[2], g[3]);
  const float Zbar = static_cast<float>(K.fx) / g[0];
  Eigen::Matrix3Xf out(3, n);
  for (int i = 0; i < n; ++i) {
    const float z = Zbar + (R.row(2) * Eigen::Vector3f(S[i], S[i + n], S[i + 2 * n]))(0);
    out(2, i) = z;
    out(0, i) = z * (landmarks[i] - static_cast<float>(K.cx)) / static_cast<float>(K.fx);
    out(1, i) = z * (landmarks[i + n] - static_cast<float>(K.cy)) / static_cast<float>(K.fy);
  }
  return out;
}

}  // namespace pyfacelm
