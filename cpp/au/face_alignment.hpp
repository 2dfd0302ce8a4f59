// SPEC_AU §3.2-3.4: the similarity-aligned, masked face the AU features are computed on.
#pragma once

#include <Eigen/Core>
#include <array>
#include <cstdint>
#include <vector>

#include "image/image.hpp"
#include "io/file_readers.hpp"
#include "shape/pdm.hpp"

namespace pyfacelm {

struct AlignedFace {
  int size = 0;                      // the face is size x size x 3 bytes, B, G, R
  std::vector<std::uint8_t> pixels;  // masked, black outside the face
  std::array<float, 6> warp{};       // forward map image -> aligned face, row-major 2 x 3
  Eigen::Matrix<float, 6, 1> params_global = Eigen::Matrix<float, 6, 1>::Zero();  // fresh PDM fit
  Eigen::VectorXf params_local;
};

// The fresh PDM fit of §3.2 (rotation hypothesis 0) of 2n landmarks [x..., y...].
std::pair<Eigen::Matrix<float, 6, 1>, Eigen::VectorXf> fit_au_params(const PDM<float>& pdm,
                                                                     const Eigen::VectorXf& landmarks);

// §3.3-3.4: warp `frame` (gray, BGR or RGB view; the face is always B, G, R) so that the PDM origin of the fit lands in the centre and the rigid
// points match the mean shape scaled by sim_scale; mask with the triangulation (jaw ends and
// brows lifted by (30 / 0.7) * sim_scale pixels) unless mask is false.
AlignedFace align_face(const ImageView& frame, const Eigen::VectorXf& landmarks, const PDM<float>& pdm,
                       const RowMatrix<int>& triangles, float sim_scale = 0.7f, int size = 112, bool mask = true);

}  // namespace pyfacelm
