// SPEC §3.2: the similarity transform between two 2D shapes (OpenFace's AlignShapesWithScale).
#pragma once

#include <Eigen/Core>

namespace pyfacelm {

// Similarity (scale * rotation, 2x2) that best maps shape `src` onto `dst`
// (both 2n, [x..., y...]), after removing centroids and normalising scale.
Eigen::Matrix2f align_shapes_with_scale(const Eigen::VectorXf& src, const Eigen::VectorXf& dst);

}  // namespace pyfacelm
