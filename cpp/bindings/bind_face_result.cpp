// _clnf.FaceResult / _clnf.PartResult: the one typed result every fitting path returns
// (fit, detect, tracking). Arrays are built here and nowhere else.
#include <pybind11/stl.h>

#include "common.hpp"
#include "fitting/face_box.hpp"
#include "fitting/face_result.hpp"

namespace pyfacelm::py_bindings {

namespace {

// 2n [x..., y...] -> (n, 2) float32.
py::array_t<float> points(const Eigen::VectorXf& v) {
  const py::ssize_t n = v.size() / 2;
  py::array_t<float> out({n, py::ssize_t(2)});
  auto a = out.mutable_unchecked<2>();
  for (py::ssize_t i = 0; i < n; ++i) {
    a(i, 0) = v[i];
    a(i, 1) = v[i + n];
  }
  return out;
}

// 3 x n -> (n, 3) float32.
py::array_t<float> points3(const Eigen::Matrix3Xf& m) {
  py::array_t<float> out({static_cast<py::ssize_t>(m.cols()), py::ssize_t(3)});
  auto a = out.mutable_unchecked<2>();
  for (Eigen::Index i = 0; i < m.cols(); ++i)
    for (int k = 0; k < 3; ++k) a(i, k) = m(k, i);
  return out;
}

template <typename Derived>
py::array_t<double> vector(const Eigen::MatrixBase<Derived>& v) {
  py::array_t<double> out(static_cast<py::ssize_t>(v.size()));
  auto a = out.mutable_unchecked<1>();
  for (Eigen::Index i = 0; i < v.size(); ++i) a(i) = v[i];
  return out;
}

}  // namespace

void bind_face_result(py::module_& m) {
  py::class_<PartResult>(m, "PartResult", "State of one hierarchical part model after a fit.")
      .def_readonly("name", &PartResult::name)
      .def_property_readonly("landmarks", [](const PartResult& p) { return points(p.landmarks); })
      .def_property_readonly("params_global", [](const PartResult& p) { return vector(p.params_global); })
      .def_property_readonly("params_local", [](const PartResult& p) { return vector(p.params_local); })
      .def_readonly("model_likelihood", &PartResult::model_likelihood);
  py::class_<FaceResult>(m, "FaceResult", "One fitted face as the core reports it (wrapped by pyfacelm.Face).")
      .def_property_readonly("landmarks", [](const FaceResult& r) { return points(r.landmarks); })
      .def_property_readonly("landmarks_3d", [](const FaceResult& r) { return points3(r.landmarks_3d); })
      .def_property_readonly("eye_landmarks",
                             [](const FaceResult& r) -> py::object {
                               if (!r.eye_landmarks) return py::none();
                               return points(*r.eye_landmarks);
                             })
      .def_property_readonly("params_global", [](const FaceResult& r) { return vector(r.params_global); })
      .def_property_readonly("params_local", [](const FaceResult& r) { return vector(r.params_local); })
      .def_property_readonly("pose", [](const FaceResult& r) { return vector(r.pose); })
      .def_readonly("confidence", &FaceResult::confidence)
      .def_readonly("success", &FaceResult::success)
      .def_readonly("detection_success", &FaceResult::detection_success)
      .def_readonly("model_likelihood", &FaceResult::model_likelihood)
      .def_readonly("view", &FaceResult::view)
      .def_property_readonly("box", [](const FaceResult& r) { return vector(r.box); })
      .def_property_readonly("landmark_box", [](const FaceResult& r) { return vector(landmark_box(r.landmarks)); })
      .def_property_readonly("detection_score",
                             [](const FaceResult& r) -> py::object {
                               if (!r.detection_score) return py::none();
                               return py::float_(*r.detection_score);
                             })
      .def_readonly("parts", &FaceResult::parts)
      .def_property_readonly("face_id",
                             [](const FaceResult& r) -> py::object {
                               if (r.face_id < 0) return py::none();
                               return py::int_(r.face_id);
                             })
      .def_readonly("tracking_initialised", &FaceResult::tracking_initialised)
      .def_readonly("failures_in_a_row", &FaceResult::failures_in_a_row);
}

}  // namespace pyfacelm::py_bindings
