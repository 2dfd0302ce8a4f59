// _clnf.CLNFModel: a loaded detector; fit() releases the GIL and keeps all
// scratch per call, so one model serves many threads.
#include <pybind11/stl.h>

#include "face_output.hpp"
#include "pyfacelm/cnn.hpp"

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
             const py::object& intrinsics, bool multi_view) {
            ImageArg img = image_from_python(image, color);
            const Eigen::Vector4d b = box_arg(box, img.view.cols, img.view.rows);
            const Intrinsics K = intrinsics_arg(intrinsics, img.view.cols, img.view.rows);
            DetectionParameters P = model.default_parameters();
            P.multi_view = multi_view;
            FaceFit f;
            FaceOutputs o;
            {
              py::gil_scoped_release release;
              const GrayImage gray = to_gray(img.view);
              f = model.fit_image(gray, b, P);
              o = face_outputs(model, f, K);
            }
            return face_dict(model, f, o, b, f.returned_success);
          },
          py::arg("image"), py::arg("box"), py::arg("color") = "bgr", py::arg("intrinsics") = py::none(),
          py::arg("multi_view") = false);
}

}  // namespace pyfacelm::py_bindings
