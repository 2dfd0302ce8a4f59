// _clnf._LandmarkModel: one landmark model without parts, so tests can replay the main
// model's fit stage by stage from the original's recorded states.
#include <pybind11/stl.h>

#include "common.hpp"
#include "fitting/landmark_model.hpp"

namespace pyfacelm::py_bindings {

namespace {

struct ModelFit {
  bool success = false;
  FitState state;
};

}  // namespace

void bind_landmark_model(py::module_& m) {
  py::class_<ModelFit>(m, "_ModelFit", "State of one landmark model after LandmarkModel.fit.")
      .def_readonly("success", &ModelFit::success)
      .def_property_readonly("landmarks", [](const ModelFit& f) { return points_array(f.state.landmarks); })
      .def_property_readonly("params_global",
                             [](const ModelFit& f) { return vector_array(f.state.g.cast<double>()); })
      .def_property_readonly("params_local",
                             [](const ModelFit& f) { return vector_array(f.state.p.cast<double>()); })
      .def_property_readonly("model_likelihood",
                             [](const ModelFit& f) { return static_cast<double>(f.state.model_likelihood); })
      .def_property_readonly("view_used", [](const ModelFit& f) { return f.state.view_used; });
  py::class_<LandmarkModel>(m, "_LandmarkModel", "One landmark model (PDM + patch experts), no parts; for testing.")
      .def(py::init([](const std::string& description, const std::vector<std::vector<int>>& windows) {
             py::gil_scoped_release release;
             return LandmarkModel::load(description, windows);
           }),
           py::arg("description"), py::arg("windows") = std::vector<std::vector<int>>{})
      .def_property_readonly("n_points", &LandmarkModel::n_points)
      .def(
          "fit",
          [](const LandmarkModel& model, const py::handle& image, const py::object& params_global,
             const py::object& params_local, const std::vector<int>& window_sizes, double sigma, double reg_factor,
             double weight_factor, int iterations, bool refine_parameters) {
            ImageArg img = image_from_python(image, "bgr");
            const auto gv = finite_vector(params_global, 6, "params_global");
            ModelFit r;
            for (int i = 0; i < 6; ++i) r.state.g[i] = static_cast<float>(gv[static_cast<std::size_t>(i)]);
            r.state.p = Eigen::VectorXf::Zero(model.pdm().n_modes());
            if (!params_local.is_none()) {
              const auto pv = finite_vector(params_local, model.pdm().n_modes(), "params_local");
              for (int i = 0; i < model.pdm().n_modes(); ++i)
                r.state.p[i] = static_cast<float>(pv[static_cast<std::size_t>(i)]);
            }
            FitParameters P;
            P.sigma = static_cast<float>(sigma);
            P.reg_factor = static_cast<float>(reg_factor);
            P.weight_factor = static_cast<float>(weight_factor);
            P.num_iterations = iterations;
            P.refine_parameters = refine_parameters;
            py::gil_scoped_release release;
            const GrayImage gray = to_gray(img.view);
            r.success = model.fit(gray, window_sizes, P, r.state);
            return r;
          },
          py::arg("image"), py::arg("params_global"), py::arg("params_local") = py::none(),
          py::arg("window_sizes") = std::vector<int>{11, 9, 7, 5}, py::arg("sigma") = 1.5, py::arg("reg_factor") = 25.0,
          py::arg("weight_factor") = 0.0, py::arg("iterations") = 5, py::arg("refine_parameters") = true);
}

}  // namespace pyfacelm::py_bindings
