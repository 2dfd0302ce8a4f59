// Face boxes (x, y, w, h) in image pixels: the rules a box given by a caller must meet
// before a fit starts from it, and the tight box of fitted landmarks.
#pragma once

#include <Eigen/Core>

namespace pyfacelm {

// Returns `box` if it is finite, has positive size, is not absurdly large and overlaps the
// width x height image; throws InvalidArgument (naming the rule) otherwise.
Eigen::Vector4d checked_box(const Eigen::Vector4d& box, int width, int height);

// Tight box of 2n landmarks stored [x..., y...] (what the tracker reports for a face).
Eigen::Vector4d landmark_box(const Eigen::VectorXf& landmarks);

}  // namespace pyfacelm
