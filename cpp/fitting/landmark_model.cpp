// SPEC §4.1 (Fit over scales), §4.2 (per-scale parameter adaptation), §4.5 (weights).
#include "fitting/landmark_model.hpp"

#include <Eigen/LU>
#include <cmath>

#include "fitting/detail/nu_rlms.hpp"
#include "common/errors.hpp"
#include "detection/cnn.hpp"
#include "shape/similarity.hpp"
#include "io/model_config.hpp"

namespace pyfacelm {

LandmarkModel LandmarkModel::load(const std::string& description, const std::vector<std::vector<int>>& windows) {
  ModelDescription d = read_model_description(description);
  LandmarkModel m;
  m.pdm_ = load_pdm<float>(d.pdm);
  m.experts_ = PatchExperts::load(d.svr_patches, d.ccnf_patches, d.cen_patches, windows, select_gemm_kernel());
  const int n_exp = static_cast<int>(m.experts_.scale(0).visibility[0].size());
  if (n_exp != m.pdm_.n_points())
    throw ModelFormatError(description + ": the patch experts have " + std::to_string(n_exp) +
                           " landmarks but the PDM has " + std::to_string(m.pdm_.n_points()));
  return m;
}

bool LandmarkModel::fit(const GrayImage& image, const std::vector<int>& window_sizes, const FitParameters& P,
                        FitState& st) const {
  const int n_scales = experts_.n_scales();
  const int n = pdm_.n_points();
  if (st.p.size() != pdm_.n_modes()) st.p = Eigen::VectorXf::Zero(pdm_.n_modes());
  auto window = [&](int s) { return s < static_cast<int>(window_sizes.size()) ? window_sizes[s] : 0; };
  std::vector<ResponseMap> responses;
  std::vector<char> visible(static_cast<std::size_t>(n));
  for (int scale = 0; scale < n_scales; ++scale) {
    const int win = window(scale);
    if (win <= 0) continue;
    // §3.2: the reference frame is the current non-rigid shape, frontal, at the patch scale.
    const Eigen::VectorXf current = pdm_.project(st.g, st.p);
    PDM<float>::Global ref_g;
    ref_g << static_cast<float>(experts_.patch_scaling(scale)), 0.f, 0.f, 0.f, 0.f, 0.f;
    const Eigen::VectorXf reference = pdm_.project(ref_g, st.p);
    RLMSInputs in;
    in.img_to_ref = align_shapes_with_scale(current, reference);
    in.ref_to_img = in.img_to_ref.inverse();
    if (!in.img_to_ref.allFinite() || !in.ref_to_img.allFinite() || !current.allFinite()) {
      // The shape collapsed to a point (or the box was absurd): nothing to fit.
      st.landmarks = current;
      return false;
    }
    const int view = experts_.view_index(scale, st.g[1], st.g[2], st.g[3]);
    experts_.responses(scale, view, image, current, in.ref_to_img, win, responses);
    for (int i = 0; i < n; ++i) visible[static_cast<std::size_t>(i)] = responses[static_cast<std::size_t>(i)].size() > 0;

    // §4.2: looser regularisation and wider kernels at finer scales.
    float sigma = P.sigma, reg = P.reg_factor, weight = P.weight_factor;
    if (P.refine_parameters) {
      const int k = std::min(scale, 2);
      const double r = std::log2(experts_.patch_scaling(std::min(k, n_scales - 1)) / 0.25);
      reg = static_cast<float>(P.reg_factor - 15 * r);
      if (reg <= 0) reg = 0.001f;
      sigma = static_cast<float>(P.sigma + 0.25 * r);
      weight = static_cast<float>(P.weight_factor * (1 + 2 * r));
    }
    in.responses = &responses;
    in.visible = &visible;
    in.base = current;
    in.win = win;
    in.sigma = sigma;
    in.reg_factor = reg;
    in.iterations = P.num_iterations;
    if (weight > 0) {
      // §4.5: confidence-weighted (NU) RLMS.
      in.weights.resize(2 * n);
      for (int i = 0; i < n; ++i)
        in.weights[i] = in.weights[i + n] = weight * static_cast<float>(experts_.scale(scale).confidence(view, i));
    }
    st.view_used = view;
    nu_rlms(pdm_, in, true, false, st.g, st.p, nullptr);
    const bool last = scale == n_scales - 1 || window(scale + 1) == 0 || st.g[0] < 0.30f;
    const float L = nu_rlms(pdm_, in, false, last, st.g, st.p, &st.landmark_likelihoods);
    if (last) st.model_likelihood = L;
    if (st.g[0] < 0.25f) {
      st.landmarks = pdm_.project(st.g, st.p);
      return false;
    }
  }
  st.landmarks = pdm_.project(st.g, st.p);
  return true;
}

}  // namespace pyfacelm
