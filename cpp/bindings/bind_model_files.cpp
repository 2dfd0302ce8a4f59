// _clnf._load_model_file: parse any model file kind and summarise it (tests, tooling).
#include <pybind11/stl.h>

#include "common.hpp"
#include "io/cnn_files.hpp"
#include "io/expert_files.hpp"
#include "io/model_config.hpp"
#include "shape/pdm.hpp"

namespace pyfacelm::py_bindings {

namespace {

py::dict header_summary(const ExpertFileHeader& h) {
  py::dict d;
  d["patch_scaling"] = h.patch_scaling;
  d["n_views"] = h.view_centers.size();
  d["n_landmarks"] = h.n_landmarks();
  return d;
}

template <class E>
int count_nonempty(const std::vector<std::vector<E>>& experts, bool (*nonempty)(const E&)) {
  int n = 0;
  for (const auto& v : experts)
    for (const auto& e : v) n += nonempty(e);
  return n;
}

int cnn_params(const CNN& cnn) {
  std::size_t n = 0;
  for (const auto& L : cnn.layers) {
    for (const auto& k : L.kernels) n += static_cast<std::size_t>(k.size());
    n += L.conv_bias.size() + static_cast<std::size_t>(L.fc_weights.size() + L.fc_bias.size() + L.slopes.size());
  }
  return static_cast<int>(n);
}

py::dict load(const std::string& path, const std::string& kind, int n_views) {
  py::dict d;
  if (kind == "pdm") {
    auto p = load_pdm<float>(path);
    d["n_points"] = p.n_points();
    d["n_modes"] = p.n_modes();
  } else if (kind == "main") {
    auto c = read_main_config(path);
    d["n_parts"] = c.parts.size();
  } else if (kind == "model") {
    auto c = read_model_description(path);
    d["n_scales"] = c.ccnf_patches.size() + c.svr_patches.size() + c.cen_patches.size();
  } else if (kind == "ccnf") {
    auto f = read_ccnf_patches(path);
    d = header_summary(f);
    d["n_window_sizes"] = f.sigma_sets.size();
    d["n_experts"] = count_nonempty<CCNFExpert>(f.experts, [](const CCNFExpert& e) { return !e.neurons.empty(); });
  } else if (kind == "svr") {
    auto f = read_svr_patches(path);
    d = header_summary(f);
    d["n_experts"] = count_nonempty<SVRExpert>(f.experts, [](const SVRExpert& e) { return !e.modalities.empty(); });
  } else if (kind == "cen") {
    auto f = read_cen_patches(path);
    d = header_summary(f);
    d["n_experts"] = count_nonempty<CENExpert>(f.experts, [](const CENExpert& e) { return !e.layers.empty(); });
    d["mirror_views"] = f.mirror_views;
  } else if (kind == "validator") {
    auto f = read_validator(path);
    d["n_views"] = f.views.size();
    d["n_layers"] = f.views.empty() ? 0 : f.views[0].cnn.layers.size();
    d["n_params"] = f.views.empty() ? 0 : cnn_params(f.views[0].cnn);
  } else if (kind == "mtcnn") {
    auto f = read_mtcnn(path);
    d["n_params"] = py::make_tuple(cnn_params(f.pnet), cnn_params(f.rnet), cnn_params(f.onet));
  } else if (kind == "mtcnn_net") {
    auto f = read_mtcnn_network(path);
    d["n_layers"] = f.layers.size();
    d["n_params"] = cnn_params(f);
  } else if (kind == "early_termination") {
    auto f = read_early_termination(path, n_views);
    d["weights"] = f.weights;
    d["biases"] = f.biases;
    d["cutoffs"] = f.cutoffs;
  } else if (kind == "triangulation") {
    auto t = read_triangulations(path);
    std::vector<int> counts;
    for (const auto& m : t) counts.push_back(static_cast<int>(m.rows()));
    d["triangles"] = counts;
  } else {
    throw py::value_error("unknown model file kind '" + kind + "'");
  }
  return d;
}

}  // namespace

void bind_model_files(py::module_& m) {
  m.def(
      "_load_model_file",
      [](const std::string& path, const std::string& kind, int n_views) {
        return load(path, kind, n_views);
      },
      py::arg("path"), py::arg("kind"), py::arg("n_views") = 7,
      "Parse one model file completely (kind: pdm, main, model, ccnf, svr, cen, validator, mtcnn,\n"
      "mtcnn_net, early_termination, triangulation) and return a summary. Raises ModelFormatError\n"
      "for malformed content, including trailing bytes.");
}

}  // namespace pyfacelm::py_bindings
