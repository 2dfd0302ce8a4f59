// SPEC §4.3 (NU-RLMS), §4.4 (kernel-density mean shift on a 0.1-px grid),
// §4.6 (likelihood).
#include "fitting/detail/nu_rlms.hpp"

#include <Eigen/Cholesky>
#include <cmath>

namespace pyfacelm {

namespace {

constexpr float kStep = 0.1f;

// §4.4: the kernel is evaluated at the position rounded to the 0.1-px grid, the
// shift is measured from the exact (clamped) position.
void mean_shift(const RLMSInputs& in, const Eigen::VectorXf& dxs, const Eigen::VectorXf& dys, float a,
                Eigen::VectorXf& shifts) {
  const int n = static_cast<int>(dxs.size());
  const int win = in.win;
  shifts.setZero(2 * n);
  const float max_pos = static_cast<float>(win) - kStep;
  std::vector<float> kernel(static_cast<std::size_t>(win) * win);
  for (int i = 0; i < n; ++i) {
    if (!(*in.visible)[i]) continue;
    const ResponseMap& rho = (*in.responses)[i];
    float dx = std::min(std::max(dxs[i], 0.f), max_pos);
    float dy = std::min(std::max(dys[i], 0.f), max_pos);
    const int gx = static_cast<int>(dx / kStep + 0.5);
    const int gy = static_cast<int>(dy / kStep + 0.5);
    const float cx = static_cast<float>(gx) * kStep, cy = static_cast<float>(gy) * kStep;
    for (int ii = 0; ii < win; ++ii) {
      const float vy = (cy - static_cast<float>(ii)) * (cy - static_cast<float>(ii));
      for (int jj = 0; jj < win; ++jj) {
        const float vx = (cx - static_cast<float>(jj)) * (cx - static_cast<float>(jj));
        kernel[ii * win + jj] = std::exp(a * (vy + vx));
      }
    }
    float sum = 0.f, mx = 0.f, my = 0.f;
    for (int ii = 0; ii < win; ++ii)
      for (int jj = 0; jj < win; ++jj) {
        const float w = rho(ii, jj) * kernel[ii * win + jj];
        sum += w;
        mx += w * static_cast<float>(jj);
        my += w * static_cast<float>(ii);
      }
    if (sum > 0.f) {
      shifts[i] = mx / sum - dx;
      shifts[i + n] = my / sum - dy;
    }
  }
}

float likelihood(const RLMSInputs& in, const Eigen::VectorXf& dxs, const Eigen::VectorXf& dys, float sigma,
                 std::vector<float>* per_landmark) {
  const int n = static_cast<int>(dxs.size());
  const int win = in.win;
  if (per_landmark) per_landmark->assign(static_cast<std::size_t>(n), -1e8f);
  double total = 0;
  int count = 0;
  const double s2 = static_cast<double>(sigma) * sigma;
  for (int i = 0; i < n; ++i) {
    if (!(*in.visible)[i]) continue;
    const ResponseMap& rho = (*in.responses)[i];
    float l = 0.f;
    for (int ii = 0; ii < win; ++ii)
      for (int jj = 0; jj < win; ++jj) {
        const double ey = dys[i] - ii, ex = dxs[i] - jj;
        l += rho(ii, jj) * static_cast<float>(std::exp(-0.5 * (ey * ey + ex * ex) / s2));
      }
    if (per_landmark) (*per_landmark)[static_cast<std::size_t>(i)] = l;
    total += std::log(static_cast<double>(l) + 1e-8);
    ++count;
  }
  return count > 0 ? static_cast<float>(total / count) : 0.f;
}

}  // namespace

float nu_rlms(const PDM<float>& pdm, const RLMSInputs& in, bool rigid, bool want_likelihood, PDM<float>::Global& g,
              Eigen::VectorXf& p, std::vector<float>* landmark_likelihoods) {
  const int n = pdm.n_points(), m = pdm.n_modes();
  const int n_params = rigid ? 6 : 6 + m;
  Eigen::VectorXf reg = Eigen::VectorXf::Zero(n_params);
  if (!rigid)
    for (int j = 0; j < m; ++j) reg[6 + j] = in.reg_factor / pdm.eigenvalues()[j];
  const float a = -0.5f / (in.sigma * in.sigma);
  const float half = static_cast<float>(in.win - 1) / 2.f;
  const bool weighted = in.weights.size() == 2 * n;
  // Quirk kept (SPEC §2.4): the full pass treats W as identity when trace(W) == 2n.
  const bool skip_weights = !weighted || (!rigid && in.weights.sum() == static_cast<float>(2 * n));

  Eigen::VectorXf x, x_prev, dxs(n), dys(n), shifts;
  Eigen::MatrixXf J;
  bool have_offsets = false;
  for (int it = 0; it < in.iterations; ++it) {
    Eigen::VectorXf S = pdm.shape3d(p);
    pdm.project_shape3d(g, S, x);
    if (it > 0 && (x - x_prev).norm() < 0.01f) break;
    x_prev = x;
    if (rigid) pdm.rigid_jacobian(g, p, J);
    else pdm.jacobian(g, p, J);
    for (int i = 0; i < n; ++i) {
      const float ox = x[i] - in.base[i], oy = x[i + n] - in.base[i + n];
      dxs[i] = in.img_to_ref(0, 0) * ox + in.img_to_ref(0, 1) * oy + half;
      dys[i] = in.img_to_ref(1, 0) * ox + in.img_to_ref(1, 1) * oy + half;
    }
    have_offsets = true;
    mean_shift(in, dxs, dys, a, shifts);
    for (int i = 0; i < n; ++i) {
      const float sx = shifts[i], sy = shifts[i + n];
      shifts[i] = in.ref_to_img(0, 0) * sx + in.ref_to_img(0, 1) * sy;
      shifts[i + n] = in.ref_to_img(1, 0) * sx + in.ref_to_img(1, 1) * sy;
    }
    Eigen::MatrixXf JwT = J.transpose();
    if (!skip_weights)
      for (int r = 0; r < 2 * n; ++r) JwT.col(r) *= in.weights[r];
    for (int i = 0; i < n; ++i) {
      if ((*in.visible)[i]) continue;
      J.row(i).setZero();
      J.row(i + n).setZero();
      JwT.col(i).setZero();
      JwT.col(i + n).setZero();
      shifts[i] = shifts[i + n] = 0.f;
    }
    Eigen::VectorXf rhs = JwT * shifts;
    if (!rigid) rhs.tail(m) -= reg.tail(m).cwiseProduct(p);
    Eigen::MatrixXf H = JwT * J;
    H.diagonal() += reg;
    Eigen::LLT<Eigen::MatrixXf> llt(H);
    Eigen::VectorXf delta = llt.info() == Eigen::Success ? Eigen::VectorXf(llt.solve(rhs))
                                                         : Eigen::VectorXf(Eigen::VectorXf::Zero(n_params));
    if (!delta.allFinite()) delta.setZero();
    const PDM<float>::Global g_before = g;
    const Eigen::VectorXf p_before = p;
    pdm.update(g, p, delta);
    pdm.clamp(p);
    if (!g.allFinite() || !p.allFinite()) {
      // Degenerate geometry (e.g. a vanishing face): keep the last finite state.
      g = g_before;
      p = p_before;
      break;
    }
  }
  if (want_likelihood && have_offsets) return likelihood(in, dxs, dys, in.sigma, landmark_likelihoods);
  return 0.f;
}

}  // namespace pyfacelm
