// SPEC_AU §3.6-§8: features, linear predictions, running medians and post-processing.
#include "au/au_analyser.hpp"

#include <algorithm>
#include <cmath>

#include "au/fhog.hpp"
#include "common/errors.hpp"

namespace pyfacelm {

namespace {

constexpr int kMaxStoredFrames = 3000;  // §7.1: only these are re-predicted at the end

// x . w over the feature vector [hog, geometry] without materialising it.
double feature_dot(const AUFeatures& f, const Eigen::VectorXd& w) {
  double s = 0.0;
  const std::size_t nh = f.hog.size();
  for (std::size_t i = 0; i < nh; ++i) s += static_cast<double>(f.hog[i]) * w[static_cast<Eigen::Index>(i)];
  for (Eigen::Index i = 0; i < f.geometry.size(); ++i) s += f.geometry[i] * w[static_cast<Eigen::Index>(nh) + i];
  return s;
}

double to_output(const AUPredictor& p, double score) {
  if (p.intensity()) return score;
  return score > 0 ? p.pos_label : p.neg_label;
}

}  // namespace

AUFeatures compute_au_features(const AUModel& model, const ImageView& frame, const Eigen::VectorXf& landmarks) {
  AUFeatures f;
  f.face = align_face(frame, landmarks, model.pdm(), model.triangles(), AUModel::kSimScale, AUModel::kFaceSize, true);
  FHOG h = fhog(f.face.pixels.data(), f.face.size, f.face.size, 3);
  f.hog = std::move(h.features);
  const Eigen::VectorXd p = f.face.params_local.cast<double>();
  const Eigen::VectorXd vp = model.pdm().basis().cast<double>() * p;
  f.geometry.resize(vp.size() + p.size());
  f.geometry << vp, p;
  return f;
}

AUFeatures failed_au_features(const AUModel& model) {
  AUFeatures f;
  f.face.size = AUModel::kFaceSize;
  f.face.pixels.assign(static_cast<std::size_t>(AUModel::kFaceSize) * AUModel::kFaceSize * 3, 0);
  f.face.params_local = Eigen::VectorXf::Zero(model.pdm().n_modes());
  f.hog.assign(AUModel::kHogDims, 0.f);
  f.geometry = Eigen::VectorXd::Zero(model.geometry_dims());
  return f;
}

AUValues predict_static(const AUModel& model, const AUFeatures& features) {
  AUValues v;
  for (const AUPredictor& p : model.predictors()) {
    if (p.dynamic()) throw InvalidArgument("still images need the static AU configuration (main_static_svms.txt)");
    const double score = feature_dot(features, p.weights) - p.means_dot + p.bias;
    if (p.intensity())
      v.intensity.push_back(std::min(std::max(score, 0.0), 5.0));
    else
      v.presence.push_back(to_output(p, score));
  }
  return v;
}

AUSequence::AUSequence(std::shared_ptr<const AUModel> model)
    : model_(std::move(model)),
      hog_median_(AUModel::kHogDims, 1000, -0.005, 1.0, true),
      geom_median_(model_->geometry_dims(), 10000, -60.0, 60.0, false) {
  refresh_median_dots();
}

void AUSequence::refresh_median_dots() {
  const auto& preds = model_->predictors();
  median_dots_.assign(preds.size(), 0.0);
  const auto& hm = hog_median_.median();
  const auto& gm = geom_median_.median();
  for (std::size_t k = 0; k < preds.size(); ++k) {
    if (!preds[k].dynamic()) continue;
    const Eigen::VectorXd& w = preds[k].weights;
    double s = 0.0;
    for (std::size_t i = 0; i < hm.size(); ++i) s += hm[i] * w[static_cast<Eigen::Index>(i)];
    for (std::size_t i = 0; i < gm.size(); ++i) s += gm[i] * w[static_cast<Eigen::Index>(hm.size() + i)];
    median_dots_[k] = s;
  }
}

AUValues AUSequence::add_frame(const AUFeatures& features, bool success) {
  const auto& preds = model_->predictors();
  if (features.hog.size() != static_cast<std::size_t>(AUModel::kHogDims) ||
      features.geometry.size() != model_->geometry_dims())
    throw InvalidArgument("AU features of the wrong size for this model");
  const int frame_number = n_frames() + 1;
  // §5: the medians move on odd frame counts only, failed frames counted.
  if (frame_number % 2 == 1) {
    std::vector<double> hog(features.hog.begin(), features.hog.end());
    hog_median_.update(hog.data(), success);
    Eigen::VectorXd geom = success ? features.geometry : Eigen::VectorXd::Zero(features.geometry.size());
    geom_median_.update(geom.data(), success);
    refresh_median_dots();
  }
  std::vector<double> dots(preds.size()), out(preds.size(), 0.0);
  for (std::size_t k = 0; k < preds.size(); ++k) {
    const AUPredictor& p = preds[k];
    dots[k] = success ? feature_dot(features, p.weights) : 0.0;
    const double score = dots[k] - p.means_dot - (p.dynamic() ? median_dots_[k] : 0.0) + p.bias;
    if (success) out[k] = to_output(p, score);
  }
  history_.push_back(out);
  valid_.push_back(success ? 1 : 0);
  if (success && static_cast<int>(stored_frames_.size()) < kMaxStoredFrames) {
    stored_dots_.push_back(std::move(dots));
    stored_frames_.push_back(frame_number - 1);
  }
  AUValues v;
  const int ni = model_->n_intensities();
  v.intensity.assign(out.begin(), out.begin() + ni);
  v.presence.assign(out.begin() + ni, out.end());
  return v;
}

std::vector<AUValues> AUSequence::postprocess() const {
  const auto& preds = model_->predictors();
  const int nf = n_frames();
  const int ni = model_->n_intensities();
  std::vector<std::vector<double>> h = history_;
  // §7.1: re-predict the stored frames with the final medians.
  for (std::size_t s = 0; s < stored_frames_.size(); ++s) {
    const int f = stored_frames_[s];
    for (std::size_t k = 0; k < preds.size(); ++k) {
      const AUPredictor& p = preds[k];
      const double score = stored_dots_[s][k] - p.means_dot - (p.dynamic() ? median_dots_[k] : 0.0) + p.bias;
      h[static_cast<std::size_t>(f)][k] = to_output(p, score);
    }
  }
  std::vector<AUValues> out(static_cast<std::size_t>(nf));
  for (auto& v : out) {
    v.intensity.assign(static_cast<std::size_t>(ni), 0.0);
    v.presence.assign(preds.size() - static_cast<std::size_t>(ni), 0.0);
  }
  if (nf == 0) return out;
  for (int k = 0; k < ni; ++k) {
    const AUPredictor& p = preds[static_cast<std::size_t>(k)];
    // §7.2: offset = the valid values' quantile at the cutoff (dynamic SVRs only).
    double offset = 0.0;
    if (p.kind == AUPredictorKind::DynamicSVR && p.cutoff != -1.0) {
      std::vector<double> g;
      for (int f = 0; f < nf; ++f)
        if (valid_[f]) g.push_back(h[f][k]);
      if (!g.empty()) {
        std::sort(g.begin(), g.end());
        const auto idx = static_cast<std::size_t>(static_cast<double>(g.size()) * p.cutoff);
        offset = g[std::min(idx, g.size() - 1)];
      }
    }
    // §7.3: shift and clip; failed frames 0.
    std::vector<double> v(static_cast<std::size_t>(nf));
    for (int f = 0; f < nf; ++f) v[f] = valid_[f] ? std::min(std::max(h[f][k] - offset, 0.0), 5.0) : 0.0;
    // §7.4: centred 3-frame mean, end frames kept, failed frames included.
    for (int f = 0; f < nf; ++f) {
      double r = v[f];
      if (f >= 1 && f <= nf - 2) r = ((v[f - 1] + v[f]) + v[f + 1]) / 3.0;
      out[f].intensity[k] = r;
    }
  }
  // §7.5: 7-frame majority of the presences.
  for (std::size_t k = static_cast<std::size_t>(ni); k < preds.size(); ++k) {
    const std::size_t c = k - static_cast<std::size_t>(ni);
    for (int f = 0; f < nf; ++f) out[f].presence[c] = h[f][k];
    if (nf > 3) {
      for (int f = 3; f <= nf - 4; ++f) {
        double s = 0.0;
        for (int j = f - 3; j <= f + 3; ++j) s += h[j][k];
        out[f].presence[c] = s / 7.0 >= 0.5 ? 1.0 : 0.0;
      }
    }
  }
  return out;
}

}  // namespace pyfacelm
