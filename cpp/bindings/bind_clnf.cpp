// _clnf.CLNFModel: a loaded detector; fit() releases the GIL and keeps all
// scratch per call, so one model serves many threads.
#include <pybind11/stl.h>

#include "common.hpp"
#include "fitting/face_result.hpp"

namespace pyfacelm::py_bindings {

void bind_clnf(py::module_& m) {
  py::class_<CLNF>(m, "CLNFModel", "A loaded OpenFace detector (main model, parts, validator).")
      .def(py::init([](const std::string& main_file) {
             py::gil_scoped_release release;
             return CLNF::load(main_file);
           }),
           py::arg("main_file"))
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
      .def(
          "fit",
          [](const CLNF& model, const py::handle& image, const py::object& box, const std::string& color,
             const py::object& intrinsics, bool multi_view) {
            ImageArg img = image_from_python(image, color);
            const Eigen::Vector4d b = box_arg(box, img.view.cols, img.view.rows);
            const Intrinsics K = intrinsics_arg(intrinsics, img.view.cols, img.view.rows);
            DetectionParameters P = model.default_parameters();
            P.multi_view = multi_view;
            py::gil_scoped_release release;
            const GrayImage gray = to_gray(img.view);
            const FaceFit f = model.fit_image(gray, b, P);
            return face_result(model, f, K, b, f.returned_success);
          },
          py::arg("image"), py::arg("box"), py::arg("color") = "bgr", py::arg("intrinsics") = py::none(),
          py::arg("multi_view") = false)
      .def(
          "_detect_from",
          [](const CLNF& model, const py::handle& image, const py::object& params_global, const py::object& params_local,
             const std::vector<int>& windows) {
            ImageArg img = image_from_python(image, "bgr");
            auto gv = finite_vector(params_global, 6, "params_global");
            auto pv = finite_vector(params_local, model.main().pdm().n_modes(), "params_local");
            FaceFit f;
            for (int i = 0; i < 6; ++i) f.main.g[i] = static_cast<float>(gv[static_cast<std::size_t>(i)]);
            f.main.p = Eigen::Map<const Eigen::VectorXd>(pv.data(), static_cast<Eigen::Index>(pv.size())).cast<float>();
            py::gil_scoped_release release;
            const GrayImage gray = to_gray(img.view);
            model.detect_landmarks(gray, windows, model.default_parameters(), f);
            return face_result(model, f, Intrinsics::guess(img.view.cols, img.view.rows), Eigen::Vector4d::Zero(),
                               f.detection_success);
          },
          py::arg("image"), py::arg("params_global"), py::arg("params_local"), py::arg("windows"),
          "Testing hook: one landmark detection pass (patch experts and NU-RLMS at the given window sizes) from the given parameters.");
}

}  // namespace pyfacelm::py_bindings
