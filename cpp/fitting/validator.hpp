// Detection validation (SPEC §6): a CNN judges a piece-wise affine warp of the
// face onto a canonical shape.
#pragma once

#include <Eigen/Core>
#include <string>

#include "io/cnn_files.hpp"
#include "image/image.hpp"

namespace pyfacelm {

class Validator {
 public:
  static Validator load(const std::string& path);
  // Certainty in [0, 1] (quantised by the output bins) for 2n landmarks of a
  // face with rotation (rx, ry, rz); 0 when the landmarks span no area.
  double check(const Eigen::Vector3f& rotation, const GrayImage& image, const Eigen::VectorXf& landmarks) const;
  int n_views() const { return static_cast<int>(file_.views.size()); }

 private:
  ValidatorFile file_;
};

}  // namespace pyfacelm
