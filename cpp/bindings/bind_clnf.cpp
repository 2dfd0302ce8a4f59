// _clnf.CLNFModel: a loaded detector; fit() releases the GIL and keeps all
// scratch per call, so one model serves many threads.
#include <pybind11/stl.h>

#include "common.hpp"
#include "fitting/face_result.hpp"
#include "detection/cnn.hpp"

namespace pyfacelm::py_bindings {

void bind_clnf(py::module_& m) {
  py::class_<CLNF>(m, "CLNFModel", "A loaded OpenFace detector (main model, parts, validator).")
      .def(py::init([](const std::string& main_file, const py::object& params) {
             // Parameters named at load have their windows' expert data kept (see CLNF::load).
             std::vector<std::vector<int>> window_sets;
             if (!params.is_none()) {
               const DetectionParameters P = params_arg(params, DetectionParameters{});
               window_sets = {P.window_sizes_init, P.window_sizes_small};
             }
             py::gil_scoped_release release;
             return CLNF::load(main_file, window_sets);
           }),
           py::arg("main_file"), py::arg("params") = py::none())
      .def_property_readonly("path", &CLNF::path)
      .def_property_readonly("n_points", [](const CLNF& c) { return c.main().n_points(); })
      .def_property_readonly("n_modes", [](const CLNF& c) { return c.main().pdm().n_modes(); })
      .def_property_readonly("part_names", [](const CLNF& c) {
        std::vector<std::string> names;
        for (const auto& p : c.parts()) names.push_back(p.name);
        return names;
      })
      .def_property_readonly("has_validator", &CLNF::has_validator)
      .def_property_readonly("has_early_termination", &CLNF::has_early_termination)
      .def_property_readonly(
          "default_parameters", [](const CLNF& c) { return params_dict(c.default_parameters()); },
          "OpenFace's command-line defaults for this model, as FitParameters fields.")
      .def_property_readonly(
          "simd",
          [](const CLNF& c) -> py::object {
            if (!c.validator()) return py::none();
            return py::str(gemm_kernel_name(c.validator()->gemm_kernel()));
          },
          "The validator CNN's convolution kernel chosen at load: 'avx2', 'baseline' (None: no validator).")
      .def(
          "fit",
          [](const CLNF& model, const py::handle& image, const py::object& box, const std::string& color,
             const py::object& intrinsics, const py::object& params, const py::object& multi_view) {
            ImageArg img = image_from_python(image, color);
            const Eigen::Vector4d b = box_arg(box, img.view.cols, img.view.rows);
            const Intrinsics K = intrinsics_arg(intrinsics, img.view.cols, img.view.rows);
            DetectionParameters P = params_arg(params, model.default_parameters());
            if (!multi_view.is_none()) P.multi_view = multi_view.cast<bool>();
            py::gil_scoped_release release;
            const GrayImage gray = to_gray(img.view);
            const FaceFit f = model.fit_image(gray, b, P);
            return face_result(model, f, K, b, f.returned_success);
          },
          py::arg("image"), py::arg("box"), py::arg("color") = "bgr", py::arg("intrinsics") = py::none(),
          py::arg("params") = py::none(), py::arg("multi_view") = py::none())
      .def(
          "_detect_from",
          [](const CLNF& model, const py::handle& image, const py::object& params_global, const py::object& params_local,
             const std::vector<int>& windows, const py::object& params) {
            const DetectionParameters P = params_arg(params, model.default_parameters());
            ImageArg img = image_from_python(image, "bgr");
            auto gv = finite_vector(params_global, 6, "params_global");
            auto pv = finite_vector(params_local, model.main().pdm().n_modes(), "params_local");
            FaceFit f;
            for (int i = 0; i < 6; ++i) f.main.g[i] = static_cast<float>(gv[static_cast<std::size_t>(i)]);
            f.main.p = Eigen::Map<const Eigen::VectorXd>(pv.data(), static_cast<Eigen::Index>(pv.size())).cast<float>();
            py::gil_scoped_release release;
            const GrayImage gray = to_gray(img.view);
            model.detect_landmarks(gray, windows, P, f);
            return face_result(model, f, Intrinsics::guess(img.view.cols, img.view.rows), Eigen::Vector4d::Zero(),
                               f.detection_success);
          },
          py::arg("image"), py::arg("params_global"), py::arg("params_local"), py::arg("windows"),
          py::arg("params") = py::none(),
          "Testing hook: one landmark detection pass (patch experts and NU-RLMS at the given window sizes) from the given parameters.")
      .def(
          "_result_from_state",
          [](const CLNF& model, const py::object& landmarks, const py::object& params_global,
             const py::object& params_local, const py::dict& parts, const py::object& intrinsics, bool success) {
            // One fit state (landmarks as 2n [x..., y...]) -> FitState, checked against its model.
            auto state = [](const LandmarkModel& lm, const py::handle& l, const py::handle& g, const py::handle& p) {
              FitState s;
              const auto lv = finite_vector(l, 2 * lm.n_points(), "landmarks");
              const auto gv = finite_vector(g, 6, "params_global");
              const auto pv = finite_vector(p, lm.pdm().n_modes(), "params_local");
              s.landmarks = Eigen::Map<const Eigen::VectorXd>(lv.data(), static_cast<Eigen::Index>(lv.size())).cast<float>();
              for (int i = 0; i < 6; ++i) s.g[i] = static_cast<float>(gv[static_cast<std::size_t>(i)]);
              s.p = Eigen::Map<const Eigen::VectorXd>(pv.data(), static_cast<Eigen::Index>(pv.size())).cast<float>();
              return s;
            };
            FaceFit f;
            f.main = state(model.main(), landmarks, params_global, params_local);
            f.parts.resize(model.parts().size());
            for (std::size_t k = 0; k < model.parts().size(); ++k) {
              const PartModel& part = model.parts()[k];
              if (!parts.contains(part.name)) continue;
              const py::tuple t = parts[py::str(part.name)].cast<py::tuple>();
              if (t.size() != 3) throw py::value_error("parts: (landmarks, params_global, params_local) per name");
              f.parts[k] = state(part.model, t[0], t[1], t[2]);
            }
            const Intrinsics K = intrinsics_arg(intrinsics, 0, 0);
            return face_result(model, f, K, Eigen::Vector4d::Zero(), success);
          },
          py::arg("landmarks"), py::arg("params_global"), py::arg("params_local"), py::arg("parts"),
          py::arg("intrinsics"), py::arg("success"),
          "Testing hook: the result (pose, 3D points, gaze) of a given fit state; landmarks as 2n [x..., y...].");
  m.def(
      "openface_parameters", [](bool ceclm, bool wild) { return params_dict(openface_parameters(ceclm, wild)); },
      py::arg("ceclm"), py::arg("wild"),
      "OpenFace's command-line parameter set: its defaults or `-wild`, for CE-CLM or for CLNF/CLM.");
  m.def(
      "check_parameters", [](const py::object& params) { params_arg(params, DetectionParameters{}); },
      py::arg("params"), "Raises TypeError / ValueError when `params` cannot be used for a fit.");
}

}  // namespace pyfacelm::py_bindings
