// _clnf.MTCNN: the face detector; detect() releases the GIL (the core checks min_face).
#include "common.hpp"
#include "detection/cnn.hpp"
#include "detection/mtcnn.hpp"

namespace pyfacelm::py_bindings {

void bind_mtcnn(py::module_& m) {
  py::class_<MTCNN>(m, "MTCNN", "OpenFace's MTCNN face detector (weights from mtcnn_detector/).")
      .def(py::init([](const std::string& path) {
             py::gil_scoped_release release;
             return MTCNN::load(path);
           }),
           py::arg("detector_file"))
      .def_property_readonly(
          "simd", [](const MTCNN& det) { return gemm_kernel_name(det.gemm_kernel()); },
          "The convolution kernel chosen when the detector loaded: 'avx2' or 'baseline'.")
      .def(
          "detect",
          [](const MTCNN& det, const py::handle& image, const std::string& color, double min_face) {
            ImageArg img = image_from_python(image, color);
            MTCNNSettings s;
            s.min_face = min_face;
            std::vector<FaceBox> boxes;
            {
              py::gil_scoped_release release;
              boxes = det.detect(img.view, s);
            }
            py::array_t<double> out({static_cast<py::ssize_t>(boxes.size()), py::ssize_t(5)});
            auto a = out.mutable_unchecked<2>();
            for (std::size_t i = 0; i < boxes.size(); ++i) {
              const auto k = static_cast<py::ssize_t>(i);
              a(k, 0) = boxes[i].x;
              a(k, 1) = boxes[i].y;
              a(k, 2) = boxes[i].w;
              a(k, 3) = boxes[i].h;
              a(k, 4) = boxes[i].score;
            }
            return out;
          },
          py::arg("image"), py::arg("color") = "bgr", py::arg("min_face") = 60.0,
          "(N, 5) float64 rows (x, y, w, h, score): boxes as OpenFace hands them to the fitter.");
}

}  // namespace pyfacelm::py_bindings
