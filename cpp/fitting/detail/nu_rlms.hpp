// Internal: one NU-RLMS pass and its pieces (SPEC §4.3-4.6).
#pragma once

#include <vector>

#include "fitting/landmark_model.hpp"

namespace pyfacelm {

struct RLMSInputs {
  const std::vector<ResponseMap>* responses = nullptr;  // per landmark, empty if invisible
  const std::vector<char>* visible = nullptr;           // per landmark
  Eigen::VectorXf base;                                 // 2n shape the responses are centred on
  Eigen::Matrix2f img_to_ref, ref_to_img;
  Eigen::VectorXf weights;                              // 2n diagonal of W (empty = identity)
  int win = 0;
  float sigma = 1.5f, reg_factor = 25.f;
  int iterations = 5;
};

// Runs one rigid or non-rigid pass on (g, p); returns the likelihood if asked
// (otherwise 0) and fills per-landmark likelihoods.
float nu_rlms(const PDM<float>& pdm, const RLMSInputs& in, bool rigid, bool likelihood, PDM<float>::Global& g,
              Eigen::VectorXf& p, std::vector<float>* landmark_likelihoods);

}  // namespace pyfacelm
