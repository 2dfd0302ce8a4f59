// SPEC §3.5: CCNF response = neuron layer on contrast-normalised windows,
// smoothed by the CRF covariance Sigma_win (§3.5.1).
#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>

#include "common/errors.hpp"
#include "experts/detail/ccnf_expert.hpp"
#include "experts/detail/simd.hpp"

namespace pyfacelm {

// §3.5.1: Sigma = inverse(2 ((sum alpha) I + sum_b beta_b S_b)). Kept as the lower
// Cholesky factor L of that matrix (float): applying Sigma is then two triangular solves,
// a quarter of the load-time work of an explicit inverse for the same per-call cost.
Eigen::MatrixXf ccnf_sigma(const CCNFResponder& e, int win, const std::vector<SigmaComponentSet>& sets) {
  const int n = win * win;
  const SigmaComponentSet* set = nullptr;
  for (const auto& s : sets)
    if (s.window == win) set = &s;
  const std::size_t n_b = set == nullptr ? 0 : std::min(set->components.size(), e.betas.size());
  std::vector<float> betas(n_b);
  for (std::size_t b = 0; b < n_b; ++b) betas[b] = static_cast<float>(e.betas[b]);
  // One pass over the lower triangle (all the factorisation reads), each element summed in
  // the order alpha I + beta_0 S_0 + beta_1 S_1 + ..., then doubled.
  const float alpha = static_cast<float>(e.alpha_sum);
  Eigen::MatrixXf m(n, n);
  for (int c = 0; c < n; ++c) {
    float* col = m.col(c).data();
    for (int r = 0; r < c; ++r) col[r] = 0.f;
    for (int r = c; r < n; ++r) col[r] = r == c ? alpha : 0.f;
    for (std::size_t b = 0; b < n_b; ++b) {
      const float beta = betas[b];
      const auto& S = set->components[b];
      for (int r = c; r < n; ++r) col[r] += beta * S(r, c);
    }
    for (int r = c; r < n; ++r) col[r] *= 2.f;
  }
  Eigen::LLT<Eigen::Ref<Eigen::MatrixXf>> llt(m);  // in place: m becomes L (lower triangle)
  if (llt.info() != Eigen::Success) throw ModelFormatError("CCNF expert has a non-positive-definite CRF matrix");
  return m;
}

const Eigen::MatrixXf& CCNFResponder::sigma_factor(int win, const std::vector<SigmaComponentSet>& sets,
                                                   Eigen::MatrixXf& local) const {
  if (sigma) {
    const auto it = sigma->find(win);
    if (it != sigma->end()) {
      // Every expert sharing the slot has the same alpha sum and betas, so whichever
      // factorises it computes the same matrix. A throw leaves the slot to the next call.
      const SigmaSlot& slot = it->second;
      std::call_once(slot.once, [&] { slot.factor = ccnf_sigma(*this, win, sets); });
      return slot.factor;
    }
  }
  local = ccnf_sigma(*this, win, sets);
  return local;
}

namespace {

// Float sums with eight interleaved partial sums: vectorisable, and (like any BLAS) a
// different rounding order than a serial loop, well below what parity can see.
inline float lane_sum(const float* v, int n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int k = 0;
  for (; k + 8 <= n; k += 8)
    for (int j = 0; j < 8; ++j) acc[j] += v[k + j];
  for (int j = 0; k < n; ++k, ++j) acc[j] += v[k];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

inline float lane_sum_squares(const float* v, int n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int k = 0;
  for (; k + 8 <= n; k += 8)
    for (int j = 0; j < 8; ++j) acc[j] += v[k + j] * v[k + j];
  for (int j = 0; k < n; ++k, ++j) acc[j] += v[k] * v[k];
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

}  // namespace

void CCNFResponder::response(const float* aoi, int win, ResponseMap& out, const std::vector<SigmaComponentSet>& sets,
                             GemmKernel kernel) const {
  const int h = height, w = width, aoi_w = win + w - 1;
  const int n_pos = win * win, dim = 1 + w * h;
  // Normalised im2col: one row per output position (x-major: row x * win + y), holding
  // 1 and the h x w window, mean-free and scaled to unit L2 norm (norm 0 -> 1).
  Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> X(n_pos, dim);
  const float inv_count = 1.f / static_cast<float>(w * h);
  if (kernel == GemmKernel::AVX2) {
    simd::ccnf_windows_avx2(aoi, aoi_w, win, w, h, X.data());
  } else {
    for (int x = 0; x < win; ++x) {
      for (int y = 0; y < win; ++y) {
        float* row = X.row(x * win + y).data();
        for (int yy = 0; yy < h; ++yy) {
          const float* src = aoi + (y + yy) * aoi_w + x;
          std::copy(src, src + w, row + 1 + yy * w);
        }
        const float mean = lane_sum(row + 1, dim - 1) * inv_count;
        for (int k = 1; k < dim; ++k) row[k] -= mean;
        float norm = std::sqrt(lane_sum_squares(row + 1, dim - 1));
        if (norm == 0.f) norm = 1.f;
        row[0] = 1.f;
        for (int k = 1; k < dim; ++k) row[k] /= norm;
      }
    }
  }
  const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> Q = X * weights.transpose();  // positions x neurons
  Eigen::VectorXf r(n_pos);  // y-major
  for (int x = 0; x < win; ++x)
    for (int y = 0; y < win; ++y) {
      const float* q = Q.row(x * win + y).data();
      float acc = 0.f;
      for (Eigen::Index k = 0; k < Q.cols(); ++k) acc += two_alpha[k] / (1.f + std::exp(-q[k]));
      r[y * win + x] = acc;
    }
  // smoothed = Sigma r = (L L^T)^-1 r.
  Eigen::VectorXf smoothed = r;
  Eigen::MatrixXf local;
  const Eigen::MatrixXf& factor = sigma_factor(win, sets, local);
  factor.triangularView<Eigen::Lower>().solveInPlace(smoothed);
  factor.triangularView<Eigen::Lower>().transpose().solveInPlace(smoothed);
  out = Eigen::Map<ResponseMap>(smoothed.data(), win, win);
  const float mn = out.minCoeff();
  if (mn < 0) out.array() -= mn;
}

}  // namespace pyfacelm
