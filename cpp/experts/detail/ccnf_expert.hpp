// Internal: the CCNF expert's CRF covariance (SPEC §3.5.1), factorised on first use.
#pragma once

#include <vector>

#include "experts/patch_experts.hpp"

namespace pyfacelm {

// Lower Cholesky factor of Sigma = inverse(2 ((sum alpha) I + sum_b beta_b S_b)) for one
// window size; throws ModelFormatError when that matrix is not positive definite.
Eigen::MatrixXf ccnf_sigma(const CCNFResponder& e, int win, const std::vector<SigmaComponentSet>& sets);

}  // namespace pyfacelm
