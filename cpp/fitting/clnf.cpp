// SPEC §1.2 (loading), §5 (detection pass, parts), §8 (image mode), §10 (defaults).
#include "fitting/clnf.hpp"

#include <algorithm>
#include <filesystem>
#include <numeric>

#include "common/errors.hpp"
#include "io/model_config.hpp"

namespace pyfacelm {

namespace {

// §5.2: part-name specific parameters (windows, reg, sigma, weight).
void part_parameters(const std::string& name, PartModel& part) {
  part.params.num_iterations = 5;
  part.params.refine_parameters = false;
  if (name == "left_eye_28" || name == "right_eye_28") {
    part.window_sizes = {3, 5, 9};
    part.params.reg_factor = 0.5f;
    part.params.sigma = 1.0f;
    part.params.weight_factor = 0.f;
  } else if (name == "inner") {
    part.window_sizes = {9};
    part.params.reg_factor = 2.5f;
    part.params.sigma = 1.75f;
    part.params.weight_factor = 2.5f;
  } else if (name == "left_eye" || name == "right_eye") {
    part.window_sizes = {5, 3};
    part.params.reg_factor = 0.1f;
    part.params.sigma = 2.0f;
  } else if (name == "mouth") {
    part.window_sizes = {7, 7};
    part.params.reg_factor = 1.0f;
    part.params.sigma = 2.0f;
  } else if (name == "brow") {
    part.window_sizes = {11, 9};
    part.params.reg_factor = 10.0f;
    part.params.sigma = 3.5f;
  } else {
    part.window_sizes = {11, 9, 7, 5};
  }
}

std::vector<std::vector<int>> windows_per_scale(const std::vector<int>& a, const std::vector<int>& b) {
  std::vector<std::vector<int>> out(std::max(a.size(), b.size()));
  for (std::size_t s = 0; s < out.size(); ++s) {
    if (s < a.size() && a[s] > 0) out[s].push_back(a[s]);
    if (s < b.size() && b[s] > 0 && (out[s].empty() || out[s][0] != b[s])) out[s].push_back(b[s]);
  }
  return out;
}

// The description file named by a part's (or the main model's) main_*.txt.
std::string description_of(const std::string& main_file) { return read_main_config(main_file).landmark_detector; }

}  // namespace

const std::vector<Eigen::Vector3f>& multi_view_rotations() {
  static const std::vector<Eigen::Vector3f> r = {
      {0, 0, 0},      {0, -0.5236f, 0}, {0, 0.5236f, 0},         {0, -0.96f, 0},         {0, 0.96f, 0},     {0, 0, 0.5236f},
      {0, 0, -0.5236f}, {0, -1.57f, 0},   {0, 1.57f, 0}, {0, -1.22f, 0.698f}, {0, 1.22f, -0.698f}};
  return r;
}

CLNF CLNF::load(const std::string& main_file) {
  MainConfig cfg = read_main_config(main_file);
  CLNF m;
  m.path_ = main_file;
  // §10.2: the model file's stem selects CE-CLM's sigma x1.5 and reg x0.9.
  const std::string stem = std::filesystem::path(main_file).stem().string();
  m.ceclm_ = stem == "main_ceclm_general";
  if (m.ceclm_) {
    m.defaults_.fit.sigma *= 1.5f;
    m.defaults_.fit.reg_factor *= 0.9f;
  }
  m.main_ = LandmarkModel::load(cfg.landmark_detector,
                                windows_per_scale(m.defaults_.window_sizes_init, m.defaults_.window_sizes_small));
  const int n_main = m.main_.n_points();
  for (const auto& spec : cfg.parts) {
    PartModel part;
    part.name = spec.name;
    part_parameters(spec.name, part);
    part.mapping = spec.mapping;
    part.model = LandmarkModel::load(description_of(spec.main_file), windows_per_scale(part.window_sizes, {}));
    for (const auto& [i, j] : part.mapping)
      if (i < 0 || i >= n_main || j < 0 || j >= part.model.n_points())
        throw ModelFormatError(main_file + ": part '" + spec.name + "' maps landmark " + std::to_string(i) + " -> " +
                               std::to_string(j) + ", outside the models");
    m.parts_.push_back(std::move(part));
  }
  if (!cfg.validator.empty()) m.validator_ = Validator::load(cfg.validator);
  const std::string et = read_model_description(cfg.landmark_detector).early_termination;
  if (!et.empty()) m.early_termination_ = read_early_termination(et, m.main_.experts().n_views(0));
  return m;
}

int CLNF::part_index(const std::string& name) const {
  for (std::size_t i = 0; i < parts_.size(); ++i)
    if (parts_[i].name == name) return static_cast<int>(i);
  return -1;
}

// §5.3: fit each part from the main landmarks, write the parts back, refit the main PDM.
void CLNF::refine_parts(const GrayImage& gray, FaceFit& face) const {
  const int n = main_.n_points();
  const float scale = face.main.g[0];
  bool any_used = false;
  face.parts.resize(parts_.size());
  for (std::size_t k = 0; k < parts_.size(); ++k) {
    const PartModel& part = parts_[k];
    const int np = part.model.n_points();
    Eigen::VectorXf target = Eigen::VectorXf::Zero(2 * np);
    for (const auto& [i, j] : part.mapping) {
      target[j] = face.main.landmarks[i];
      target[j + np] = face.main.landmarks[i + n];
    }
    FitState& ps = face.parts[k];
    std::pair<PDM<float>::Global, Eigen::VectorXf> gp;
    try {
      gp = part.model.pdm().fit_landmarks(target, Vec3<float>::Zero());
    } catch (const InvalidArgument&) {
      // Degenerate main landmarks (a collapsed shape): the part has nothing to start from.
      ps.g = PDM<float>::Global::Zero();
      ps.p = Eigen::VectorXf::Zero(part.model.pdm().n_modes());
      ps.landmarks = target;
      continue;
    }
    ps.g = gp.first;
    ps.p = gp.second;
    if (scale > 0.9 * part.model.experts().patch_scaling(0)) {
      part.model.fit(gray, part.window_sizes, part.params, ps);
      any_used = true;
    } else {
      ps.landmarks = part.model.pdm().project(ps.g, ps.p);
    }
  }
  if (!any_used) return;
  for (std::size_t k = 0; k < parts_.size(); ++k) {
    const int np = parts_[k].model.n_points();
    for (const auto& [i, j] : parts_[k].mapping) {
      face.main.landmarks[i] = face.parts[k].landmarks[j];
      face.main.landmarks[i + n] = face.parts[k].landmarks[j + np];
    }
  }
  try {
    auto gp = main_.pdm().fit_landmarks(face.main.landmarks, Vec3<float>::Zero());
    face.main.g = gp.first;
    face.main.p = gp.second;
    face.main.landmarks = main_.pdm().project(face.main.g, face.main.p);
  } catch (const InvalidArgument&) {
    // Keep the written-back landmarks; they are not representable by the PDM.
  }
}

bool CLNF::detect_landmarks(const GrayImage& gray, const std::vector<int>& windows, const DetectionParameters& P,
                            FaceFit& face) const {
  const bool ok = main_.fit(gray, windows, P.fit, face.main);
  if (P.refine_hierarchical && !parts_.empty()) refine_parts(gray, face);
  if (P.validate_detections && ok && validator_) {
    const Eigen::Vector3f rot(face.main.g[1], face.main.g[2], face.main.g[3]);
    face.detection_certainty = static_cast<float>(validator_->check(rot, gray, face.main.landmarks));
    face.detection_success = face.detection_certainty > P.validation_boundary;
  } else {
    face.detection_success = ok;
    face.detection_certainty = ok ? 1.f : 0.f;
  }
  face.returned_success = face.detection_success;
  return face.detection_success;
}

FaceFit CLNF::initial_state(const Eigen::Vector4d& box, const Eigen::Vector3f& rotation) const {
  FaceFit f;
  f.main.p = Eigen::VectorXf::Zero(main_.pdm().n_modes());
  f.main.g = main_.pdm().params_from_box(box, f.main.p, rotation);
  f.parts.resize(parts_.size());
  for (std::size_t k = 0; k < parts_.size(); ++k) f.parts[k].p = Eigen::VectorXf::Zero(parts_[k].model.pdm().n_modes());
  return f;
}

FaceFit CLNF::fit_image(const GrayImage& gray, const Eigen::Vector4d& box, const DetectionParameters& P) const {
  const std::vector<Eigen::Vector3f> single = {Eigen::Vector3f::Zero()};
  const auto& hyps = P.multi_view ? multi_view_rotations() : single;
  return early_termination_ ? fit_image_early_term(gray, box, P, hyps) : fit_image_basic(gray, box, P, hyps);
}

// §8.3: every hypothesis fully fitted; the highest likelihood wins (earliest on ties).
FaceFit CLNF::fit_image_basic(const GrayImage& gray, const Eigen::Vector4d& box, const DetectionParameters& P,
                              const std::vector<Eigen::Vector3f>& hyps) const {
  FaceFit best;
  for (std::size_t h = 0; h < hyps.size(); ++h) {
    FaceFit f = initial_state(box, hyps[h]);
    detect_landmarks(gray, P.window_sizes_init, P, f);
    if (h == 0 || f.main.model_likelihood > best.main.model_likelihood) best = std::move(f);
  }
  return best;
}

// §8.4: each hypothesis at the coarsest scale; the first whose calibrated
// likelihood passes its view's cutoff is completed, else the best three are.
FaceFit CLNF::fit_image_early_term(const GrayImage& gray, const Eigen::Vector4d& box, const DetectionParameters& P,
                                   const std::vector<Eigen::Vector3f>& hyps) const {
  const EarlyTermination& et = *early_termination_;
  DetectionParameters first = P;
  first.refine_hierarchical = false;
  first.validate_detections = false;
  std::vector<int> w_first(P.window_sizes_init.size(), 0), w_rest = P.window_sizes_init;
  if (!w_first.empty()) w_first[0] = P.window_sizes_init[0];
  if (!w_rest.empty()) w_rest[0] = 0;

  struct Record {
    double score;
    PDM<float>::Global g;
    Eigen::VectorXf p;
    std::size_t h;
  };
  std::vector<Record> records;
  FaceFit last;
  for (std::size_t h = 0; h < hyps.size(); ++h) {
    FaceFit f = initial_state(box, hyps[h]);
    detect_landmarks(gray, w_first, first, f);
    const int v = f.main.view_used;
    const double score = f.main.model_likelihood * et.weights[static_cast<std::size_t>(v)] + et.biases[static_cast<std::size_t>(v)];
    if (score > et.cutoffs[static_cast<std::size_t>(v)]) {
      detect_landmarks(gray, w_rest, P, f);
      return f;
    }
    records.push_back({score, f.main.g, f.main.p, h});
  }
  std::vector<std::size_t> order(records.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return records[a].score > records[b].score; });
  FaceFit kept;
  bool have = false;
  float last_certainty = 0.f;
  bool last_return = false;
  int last_view = 0;
  for (std::size_t k = 0; k < std::min<std::size_t>(3, order.size()); ++k) {
    const Record& r = records[order[k]];
    FaceFit f = initial_state(box, Eigen::Vector3f::Zero());
    f.main.g = r.g;
    // Quirk kept (SPEC §8.4): only the last hypothesis keeps its stage-1 shape;
    // the others restart from the mean shape (their stored p was overwritten).
    if (r.h + 1 == hyps.size()) f.main.p = r.p;
    const bool ok = detect_landmarks(gray, w_rest, P, f);
    last_certainty = f.detection_certainty;
    last_return = ok;
    last_view = f.main.view_used;
    if (!have || f.main.model_likelihood > kept.main.model_likelihood) {
      kept = std::move(f);
      have = true;
    }
  }
  // Quirks kept: certainty, view and returned value come from the last run.
  kept.detection_certainty = last_certainty;
  kept.returned_success = last_return;
  kept.main.view_used = last_view;
  return kept;
}

}  // namespace pyfacelm
