// SPEC §1.3 precedence, §3.1 view selection, §3.3 AOI extraction, §3.6 mirroring.
#include "experts/patch_experts.hpp"

#include <cmath>

#include "experts/detail/ccnf_expert.hpp"
#include "experts/detail/cen_expert.hpp"
#include "common/cpu_features.hpp"
#include "common/errors.hpp"
#include "image/image_ops.hpp"

namespace pyfacelm {

namespace {

void copy_header(const ExpertFileHeader& h, ScaleExperts& s) {
  s.patch_scaling = h.patch_scaling;
  s.view_centers = h.view_centers;
  s.visibility = h.visibility;
}

// §3.5.1: one Sigma slot per distinct (sum alpha, betas) and window, shared by the experts
// with those parameters; the factors are computed on first use (SigmaSlot).
void share_sigma_slots(ScaleExperts& s, const std::vector<int>& windows) {
  std::map<std::vector<double>, std::shared_ptr<std::map<int, SigmaSlot>>> tables;
  for (auto& view : s.ccnf)
    for (auto& r : view) {
      if (r.n_neurons == 0) continue;
      std::vector<double> key{r.alpha_sum};
      key.insert(key.end(), r.betas.begin(), r.betas.end());
      auto& t = tables[key];
      if (!t) {
        t = std::make_shared<std::map<int, SigmaSlot>>();
        for (int win : windows)
          if (win > 0) t->try_emplace(win);
      }
      r.sigma = t;
    }
}

ScaleExperts load_ccnf(const std::string& path, const std::vector<int>& windows) {
  CCNFPatchFile f = read_ccnf_patches(path);
  ScaleExperts s;
  s.kind = ExpertKind::CCNF;
  copy_header(f, s);
  s.sigma_sets = std::move(f.sigma_sets);
  s.ccnf.resize(f.experts.size());
  for (std::size_t v = 0; v < f.experts.size(); ++v) {
    s.ccnf[v].reserve(f.experts[v].size());
    for (auto& e : f.experts[v]) {
      CCNFResponder r;
      r.width = e.width;
      r.height = e.height;
      r.confidence = e.confidence;
      r.betas = e.betas;
      r.n_neurons = static_cast<int>(e.neurons.size());
      int kept = 0;
      for (const auto& n : e.neurons) {
        r.alpha_sum += n.alpha;
        kept += n.alpha > 1e-4;
      }
      r.weights.resize(kept, 1 + e.width * e.height);
      r.two_alpha.resize(kept);
      int k = 0;
      for (const auto& n : e.neurons) {
        if (!(n.alpha > 1e-4)) continue;
        // Fold bias and norm weight into one row; template flattened row by row (the
        // order of a dot product does not matter beyond rounding, and rows are contiguous in
        // the image, so the windows can be copied instead of gathered).
        r.weights(k, 0) = static_cast<float>(n.bias);
        for (int yy = 0; yy < e.height; ++yy)
          for (int xx = 0; xx < e.width; ++xx)
            r.weights(k, 1 + yy * e.width + xx) = static_cast<float>(n.norm_weights * n.weights(yy, xx));
        r.two_alpha[k] = static_cast<float>(2.0 * n.alpha);
        ++k;
      }
      if (r.n_neurons > 0 && !(r.alpha_sum > 0)) throw ModelFormatError(path + ": CCNF expert with non-positive alphas");
      s.ccnf[v].push_back(std::move(r));
    }
  }
  share_sigma_slots(s, windows);
  return s;
}

ScaleExperts load_svr(const std::string& path) {
  SVRPatchFile f = read_svr_patches(path);
  ScaleExperts s;
  s.kind = ExpertKind::SVR;
  copy_header(f, s);
  s.svr.resize(f.experts.size());
  for (std::size_t v = 0; v < f.experts.size(); ++v)
    for (auto& e : f.experts[v]) {
      SVRResponder r;
      r.width = e.width;
      r.height = e.height;
      for (const auto& m : e.modalities) r.confidence += m.confidence;
      r.modalities = std::move(e.modalities);
      s.svr[v].push_back(std::move(r));
    }
  return s;
}

ScaleExperts load_cen(const std::string& path) {
  CENPatchFile f = read_cen_patches(path);
  ScaleExperts s;
  s.kind = ExpertKind::CEN;
  copy_header(f, s);
  s.mirror_inds = f.mirror_inds;
  s.mirror_views = f.mirror_views;
  s.cen.resize(f.experts.size());
  for (std::size_t v = 0; v < f.experts.size(); ++v)
    for (auto& e : f.experts[v]) {
      CENResponder r;
      r.width = e.width_support;
      r.height = e.height_support;
      r.confidence = e.confidence;
      r.layers = std::move(e.layers);
      s.cen[v].push_back(std::move(r));
    }
  for (std::size_t v = 0; v < s.cen.size(); ++v)
    for (std::size_t i = 0; i < s.cen[v].size(); ++i) {
      const auto& e = s.cen[v][i];
      if (e.width != e.height) throw ModelFormatError(path + ": CEN experts must have square support");
      // Empty records off the frontal view borrow the mirrored expert: it must exist.
      if (v != 0 && e.empty() && s.visibility[v][i]) {
        const auto& m = s.cen[static_cast<std::size_t>(s.mirror_views[v])][static_cast<std::size_t>(s.mirror_inds[i])];
        if (m.empty() && !s.cen[static_cast<std::size_t>(s.mirror_views[v])].empty())
          throw ModelFormatError(path + ": visible landmark " + std::to_string(i) + " in view " + std::to_string(v) +
                                 " has no expert and no mirrored expert");
      }
    }
  return s;
}

}  // namespace

int ScaleExperts::support(int view, int lm) const {
  switch (kind) {
    case ExpertKind::CCNF: return ccnf[view][lm].width;
    case ExpertKind::SVR: return svr[view][lm].width;
    default: return cen[view][lm].width;
  }
}

double ScaleExperts::confidence(int view, int lm) const {
  switch (kind) {
    case ExpertKind::CCNF: return ccnf[view][lm].confidence;
    case ExpertKind::SVR: return svr[view][lm].confidence;
    default: return cen[view][lm].confidence;
  }
}

PatchExperts PatchExperts::load(const std::vector<std::string>& svr, const std::vector<std::string>& ccnf,
                                const std::vector<std::string>& cen, const std::vector<std::vector<int>>& windows,
                                GemmKernel kernel) {
  // §1.3: the last kind present wins (SVR < CCNF < CEN).
  PatchExperts pe;
  if (kernel == GemmKernel::AVX2 && !simd::has_avx2_fma()) kernel = GemmKernel::Baseline;
  pe.kernel_ = kernel;
  auto wins = [&](std::size_t s) { return s < windows.size() ? windows[s] : std::vector<int>{}; };
  if (!cen.empty()) {
    for (const auto& p : cen) pe.scales_.push_back(load_cen(p));
  } else if (!ccnf.empty()) {
    for (std::size_t s = 0; s < ccnf.size(); ++s) pe.scales_.push_back(load_ccnf(ccnf[s], wins(s)));
  } else {
    for (const auto& p : svr) pe.scales_.push_back(load_svr(p));
  }
  if (pe.scales_.empty()) throw ModelFormatError("model description lists no patch experts");
  const int n = static_cast<int>(pe.scales_[0].visibility[0].size());
  for (const auto& s : pe.scales_)
    if (static_cast<int>(s.visibility[0].size()) != n)
      throw ModelFormatError("patch-expert scales disagree on the number of landmarks");
  return pe;
}

int PatchExperts::view_index(int s, double rx, double ry, double rz) const {
  const auto& c = scale(s).view_centers;
  int best = 0;
  double best_d = 0;
  for (std::size_t v = 0; v < c.size(); ++v) {
    const double d = (rx - c[v][0]) * (rx - c[v][0]) + (ry - c[v][1]) * (ry - c[v][1]) + (rz - c[v][2]) * (rz - c[v][2]);
    if (v == 0 || d < best_d) {
      best = static_cast<int>(v);
      best_d = d;
    }
  }
  return best;
}

namespace {

// §3.3: the aoi x aoi area centred on (x, y), sampled along the reference frame's axes.
void extract_aoi(const GrayImage& image, float x, float y, const Eigen::Matrix2f& B, int aoi, std::vector<float>& out) {
  const float a1 = B(0, 0), b1 = -B(0, 1);
  const float c = static_cast<float>(aoi - 1) / 2.f;
  const double M[6] = {a1, -b1, x - a1 * c + b1 * c, b1, a1, y - a1 * c - b1 * c};
  out.resize(static_cast<std::size_t>(aoi) * aoi);
  warp_affine_bilinear(image, M, aoi, aoi, out.data());
}

}  // namespace

void PatchExperts::responses(int s, int view, const GrayImage& image, const Eigen::VectorXf& landmarks,
                             const Eigen::Matrix2f& B, int win, std::vector<ResponseMap>& out) const {
  const ScaleExperts& se = scale(s);
  const int n = static_cast<int>(se.visibility[view].size());
  out.assign(static_cast<std::size_t>(n), ResponseMap());
  std::vector<float> aoi;
  auto aoi_of = [&](int i, std::vector<float>& buf) {
    const int size = win + se.support(view, i) - 1;
    extract_aoi(image, landmarks[i], landmarks[i + n], B, size, buf);
    return size;
  };
  for (int i = 0; i < n; ++i) {
    if (!se.visibility[view][i]) continue;
    switch (se.kind) {
      case ExpertKind::CCNF: {
        const auto& e = se.ccnf[view][i];
        if (e.empty()) continue;
        aoi_of(i, aoi);
        e.response(aoi.data(), win, out[i], se.sigma_sets, kernel_);
        break;
      }
      case ExpertKind::SVR: {
        const auto& e = se.svr[view][i];
        if (e.modalities.empty()) continue;
        aoi_of(i, aoi);
        e.response(aoi.data(), win, out[i], kernel_);
        break;
      }
      case ExpertKind::CEN: {
        const auto& e = se.cen[view][i];
        const int mi = se.mirror_inds[static_cast<std::size_t>(i)];
        if (view == 0) {
          // Frontal: an expert serves its own landmark and, mirrored, its partner's.
          if (e.empty()) continue;
          const int size = aoi_of(i, aoi);
          cen_response(e, aoi.data(), size, win, false, out[i]);
          if (mi != i) {
            const int msize = win + se.support(view, mi) - 1;
            extract_aoi(image, landmarks[mi], landmarks[mi + n], B, msize, aoi);
            cen_response(e, aoi.data(), msize, win, true, out[static_cast<std::size_t>(mi)]);
          }
        } else if (!e.empty()) {
          const int size = aoi_of(i, aoi);
          cen_response(e, aoi.data(), size, win, false, out[i]);
        } else {
          const auto& m = se.cen[static_cast<std::size_t>(se.mirror_views[static_cast<std::size_t>(view)])]
                                [static_cast<std::size_t>(mi)];
          if (m.empty()) continue;
          const int size = aoi_of(i, aoi);
          cen_response(m, aoi.data(), size, win, true, out[i]);
        }
        break;
      }
    }
  }
}

}  // namespace pyfacelm
