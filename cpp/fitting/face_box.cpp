#include "fitting/face_box.hpp"

#include <cmath>
#include <string>

#include "common/errors.hpp"

namespace pyfacelm {

Eigen::Vector4d checked_box(const Eigen::Vector4d& b, int width, int height) {
  if (!b.allFinite()) throw InvalidArgument("box (x, y, w, h) must be finite");
  if (!(b[2] > 0) || !(b[3] > 0))
    throw InvalidArgument("box (x, y, w, h) must have positive width and height, got w=" + std::to_string(b[2]) +
                          ", h=" + std::to_string(b[3]));
  // Beyond a million pixels no image exists; such boxes would only overflow the warps.
  if (b[2] > 1e6 || b[3] > 1e6 || std::fabs(b[0]) > 1e6 || std::fabs(b[1]) > 1e6)
    throw InvalidArgument("box (x, y, w, h) is absurdly large");
  if (b[0] >= width || b[1] >= height || b[0] + b[2] <= 0 || b[1] + b[3] <= 0)
    throw InvalidArgument("box (x, y, w, h) lies entirely outside the " + std::to_string(width) + "x" +
                          std::to_string(height) + " image");
  return b;
}

Eigen::Vector4d landmark_box(const Eigen::VectorXf& landmarks) {
  const Eigen::Index n = landmarks.size() / 2;
  if (n == 0) return Eigen::Vector4d::Zero();
  const double x0 = landmarks.head(n).minCoeff(), y0 = landmarks.tail(n).minCoeff();
  return Eigen::Vector4d(x0, y0, landmarks.head(n).maxCoeff() - x0, landmarks.tail(n).maxCoeff() - y0);
}

}  // namespace pyfacelm
