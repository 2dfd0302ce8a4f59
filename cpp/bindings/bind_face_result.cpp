// _clnf.FaceResult / _clnf.PartResult: the one typed result every fitting path returns
// (fit, detect, tracking). Arrays are built here and nowhere else.
#include <pybind11/stl.h>

#include "common.hpp"
#include "fitting/face_box.hpp"
#include "fitting/face_result.hpp"

namespace pyfacelm::py_bindings {

namespace {

// numpy arrays have no public pybind11 setter for the writeable flag; clearing it here saves
// pyfacelm.Face a copy and a Python-level flags call per array.
py::array frozen(py::array a) {
  py::detail::array_proxy(a.ptr())->flags &= ~py::detail::npy_api::NPY_ARRAY_WRITEABLE_;
  return a;
}

template <class F>
py::object frozen_if(bool present, F make) {
  if (!present) return py::none();
  return frozen(make());
}

// pyfacelm.Face's fields, in its declaration order, as one dict built in one call: the
// per-frame cost of turning a result into a Face is what a tracked video pays for every face.
py::dict face_fields(const FaceResult& r) {
  py::dict d;
  d["landmarks"] = frozen(points_array(r.landmarks));
  d["landmarks_3d"] = frozen(points3_array(r.landmarks_3d));
  d["eye_landmarks"] = frozen_if(r.eye_landmarks.has_value(), [&] { return points_array(*r.eye_landmarks); });
  d["params_global"] = frozen(vector_array(r.params_global));
  d["params_local"] = frozen(vector_array(r.params_local));
  d["pose"] = frozen(vector_array(r.pose));
  d["confidence"] = py::float_(r.confidence);
  d["success"] = py::bool_(r.success);
  d["detection_success"] = py::bool_(r.detection_success);
  d["model_likelihood"] = py::float_(r.model_likelihood);
  d["landmark_likelihoods"] = frozen(float_array(Eigen::Map<const Eigen::VectorXf>(
      r.landmark_likelihoods.data(), static_cast<Eigen::Index>(r.landmark_likelihoods.size()))));
  d["box"] = frozen(vector_array(r.box));
  d["landmark_box"] = frozen(vector_array(landmark_box(r.landmarks)));
  d["view"] = py::int_(r.view);
  d["face_id"] = r.face_id < 0 ? py::object(py::none()) : py::object(py::int_(r.face_id));
  d["eye_landmarks_3d"] =
      frozen_if(r.eye_landmarks_3d.has_value(), [&] { return points3_array(*r.eye_landmarks_3d); });
  d["gaze_0"] = frozen_if(r.gaze.has_value(), [&] { return float_array(r.gaze->gaze_0); });
  d["gaze_1"] = frozen_if(r.gaze.has_value(), [&] { return float_array(r.gaze->gaze_1); });
  d["gaze_angle"] = frozen_if(r.gaze.has_value(), [&] { return float_array(r.gaze->angle); });
  d["detection_score"] =
      r.detection_score ? py::object(py::float_(*r.detection_score)) : py::object(py::none());
  return d;
}

}  // namespace


void bind_face_result(py::module_& m) {
  py::class_<PartResult>(m, "PartResult", "State of one hierarchical part model after a fit.")
      .def_readonly("name", &PartResult::name)
      .def_property_readonly("landmarks", [](const PartResult& p) { return points_array(p.landmarks); })
      .def_property_readonly("params_global", [](const PartResult& p) { return vector_array(p.params_global); })
      .def_property_readonly("params_local", [](const PartResult& p) { return vector_array(p.params_local); })
      .def_readonly("model_likelihood", &PartResult::model_likelihood);
  py::class_<FaceResult>(m, "FaceResult", "One fitted face as the core reports it (wrapped by pyfacelm.Face).")
      .def_property_readonly("landmarks", [](const FaceResult& r) { return points_array(r.landmarks); })
      .def_property_readonly("landmarks_3d", [](const FaceResult& r) { return points3_array(r.landmarks_3d); })
      .def_property_readonly("eye_landmarks",
                             [](const FaceResult& r) -> py::object {
                               if (!r.eye_landmarks) return py::none();
                               return points_array(*r.eye_landmarks);
                             })
      .def_property_readonly("eye_landmarks_3d",
                             [](const FaceResult& r) -> py::object {
                               if (!r.eye_landmarks_3d) return py::none();
                               return points3_array(*r.eye_landmarks_3d);
                             })
      .def_property_readonly("gaze_0",
                             [](const FaceResult& r) -> py::object {
                               if (!r.gaze) return py::none();
                               return float_array(r.gaze->gaze_0);
                             })
      .def_property_readonly("gaze_1",
                             [](const FaceResult& r) -> py::object {
                               if (!r.gaze) return py::none();
                               return float_array(r.gaze->gaze_1);
                             })
      .def_property_readonly("gaze_angle",
                             [](const FaceResult& r) -> py::object {
                               if (!r.gaze) return py::none();
                               return float_array(r.gaze->angle);
                             })
      .def_property_readonly("params_global", [](const FaceResult& r) { return vector_array(r.params_global); })
      .def_property_readonly("params_local", [](const FaceResult& r) { return vector_array(r.params_local); })
      .def_property_readonly("pose", [](const FaceResult& r) { return vector_array(r.pose); })
      .def_readonly("confidence", &FaceResult::confidence)
      .def_readonly("success", &FaceResult::success)
      .def_readonly("detection_success", &FaceResult::detection_success)
      .def_readonly("model_likelihood", &FaceResult::model_likelihood)
      .def_property_readonly("landmark_likelihoods",
                             [](const FaceResult& r) {
                               return float_array(Eigen::Map<const Eigen::VectorXf>(
                                   r.landmark_likelihoods.data(), static_cast<Eigen::Index>(r.landmark_likelihoods.size())));
                             })
      .def_readonly("view", &FaceResult::view)
      .def_property_readonly("box", [](const FaceResult& r) { return vector_array(r.box); })
      .def_property_readonly("landmark_box", [](const FaceResult& r) { return vector_array(landmark_box(r.landmarks)); })
      .def_property_readonly("detection_score",
                             [](const FaceResult& r) -> py::object {
                               if (!r.detection_score) return py::none();
                               return py::float_(*r.detection_score);
                             })
      .def_property_readonly("parts",
                             [](const FaceResult& r) {
                               py::dict d;
                               for (const PartResult& p : r.parts) d[py::str(p.name)] = py::cast(p);
                               return d;
                             })
      .def_property_readonly("face_id",
                             [](const FaceResult& r) -> py::object {
                               if (r.face_id < 0) return py::none();
                               return py::int_(r.face_id);
                             })
      .def("face_fields", &face_fields,
           "pyfacelm.Face's fields in declaration order: new read-only arrays, Python scalars, None.")
      .def_readonly("tracking_initialised", &FaceResult::tracking_initialised)
      .def_readonly("failures_in_a_row", &FaceResult::failures_in_a_row);
}

}  // namespace pyfacelm::py_bindings
