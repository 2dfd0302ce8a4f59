// _clnf._LandmarkModel: one landmark model without parts, for stage-by-stage checks.
#include <pybind11/stl.h>

#include "common.hpp"
#include "pyfacelm/landmark_model.hpp"

namespace pyfacelm::py_bindings {

void bind_landmark_model(py::module_& m) {
  py::class_<LandmarkModel>(m, "_LandmarkModel", "One landmark model (PDM + patch experts), no parts; for testing.")
      .def(py::init([](const std::string& description, const std::vector<std::vector<int>>& windows) {
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
            GrayImage gray = to_gray(img.view);
            auto gv = finite_vector(params_global, 6, "params_global");
            FitState st;
            for (int i = 0; i < 6; ++i) st.g[i] = static_cast<float>(gv[static_cast<std::size_t>(i)]);
            st.p = Eigen::VectorXf::Zero(model.pdm().n_modes());
            if (!params_local.is_none()) {
              auto pv = finite_vector(params_local, model.pdm().n_modes(), "params_local");
              for (int i = 0; i < model.pdm().n_modes(); ++i) st.p[i] = static_cast<float>(pv[static_cast<std::size_t>(i)]);
            }
            FitParameters P;
            P.sigma = static_cast<float>(sigma);
            P.reg_factor = static_cast<float>(reg_factor);
            P.weight_factor = static_cast<float>(weight_factor);
            P.num_iterations = iterations;
            P.refine_parameters = refine_parameters;
            bool ok;
            {
              py::gil_scoped_release release;
              ok = model.fit(gray, window_sizes, P, st);
            }
            const int n = model.n_points();
            py::array_t<double> lm({n, 2});
            auto a = lm.mutable_unchecked<2>();
            for (int i = 0; i < n; ++i) {
              a(i, 0) = st.landmarks[i];
              a(i, 1) = st.landmarks[i + n];
            }
            py::dict d;
            d["success"] = ok;
            d["landmarks"] = lm;
            d["params_global"] = std::vector<double>(st.g.data(), st.g.data() + 6);
            d["params_local"] = std::vector<double>(st.p.data(), st.p.data() + st.p.size());
            d["model_likelihood"] = st.model_likelihood;
            d["view_used"] = st.view_used;
            return d;
          },
          py::arg("image"), py::arg("params_global"), py::arg("params_local") = py::none(),
          py::arg("window_sizes") = std::vector<int>{11, 9, 7, 5}, py::arg("sigma") = 1.5, py::arg("reg_factor") = 25.0,
          py::arg("weight_factor") = 0.0, py::arg("iterations") = 5, py::arg("refine_parameters") = true);
}

}  // namespace pyfacelm::py_bindings
