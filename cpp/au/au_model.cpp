// SPEC_AU §2: loading a configuration; the predictor groups of §2.3 are flattened into
// one predictor per AU output, sorted as the CSV writes them (§9.1).
#include "au/au_model.hpp"

#include <algorithm>

#include "common/errors.hpp"

namespace pyfacelm {

std::shared_ptr<const AUModel> AUModel::load(const std::string& module_path) {
  auto m = std::make_shared<AUModel>();
  m->path_ = module_path;
  const AUModuleFile module = read_au_module(module_path);
  m->pdm_ = load_pdm<float>(module.pdm);
  if (m->pdm_.n_points() != 68)
    throw ModelFormatError(module.pdm + ": the AU models need the 68-point shape model, got " +
                           std::to_string(m->pdm_.n_points()) + " points");
  m->triangles_ = read_au_triangulation(module.triangulation, m->pdm_.n_points());
  const std::vector<AUListEntry> list = read_au_list(module.predictor_list);

  // §2.3: within each of the four groups the means come from the group's first file.
  std::vector<AUPredictor> intensities, presences;
  bool have_means[6] = {false, false, false, false, false, false};
  Eigen::RowVectorXd group_means[6];
  for (const AUListEntry& e : list) {
    AUPredictorFile f = read_au_predictor(e.path);
    if (f.means.size() != m->feature_dims())
      throw ModelFormatError(e.path + ": predictor over " + std::to_string(f.means.size()) +
                             " features, expected " + std::to_string(m->feature_dims()) +
                             " (HOG 4464 + geometry " + std::to_string(m->geometry_dims()) + ")");
    const int g = static_cast<int>(f.kind);
    if (!have_means[g]) {
      group_means[g] = f.means;
      have_means[g] = true;
    }
    AUPredictor p;
    p.name = e.names.front();
    p.kind = f.kind;
    p.cutoff = f.cutoff;
    p.weights = std::move(f.weights);
    p.bias = f.bias;
    p.means_dot = group_means[g].dot(p.weights);
    p.pos_label = f.pos_label;
    p.neg_label = f.neg_label;
    (p.intensity() ? intensities : presences).push_back(std::move(p));
  }
  auto by_name = [](const AUPredictor& a, const AUPredictor& b) { return a.name < b.name; };
  std::stable_sort(intensities.begin(), intensities.end(), by_name);
  std::stable_sort(presences.begin(), presences.end(), by_name);
  auto unique = [&](const std::vector<AUPredictor>& v, const char* what) {
    for (std::size_t i = 1; i < v.size(); ++i)
      if (v[i].name == v[i - 1].name)
        throw ModelFormatError(module.predictor_list + ": two " + what + " predictors for " + v[i].name);
  };
  unique(intensities, "intensity");
  unique(presences, "presence");
  m->n_intensities_ = static_cast<int>(intensities.size());
  m->predictors_ = std::move(intensities);
  for (auto& p : presences) m->predictors_.push_back(std::move(p));
  return m;
}

bool AUModel::has_dynamic() const {
  return std::any_of(predictors_.begin(), predictors_.end(), [](const AUPredictor& p) { return p.dynamic(); });
}

}  // namespace pyfacelm
