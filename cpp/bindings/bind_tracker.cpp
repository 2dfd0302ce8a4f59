// _clnf.Tracker: per-stream tracking state over a shared, immutable model.
#include <pybind11/stl.h>

#include <chrono>
#include <cmath>
#include <mutex>

#include "common.hpp"
#include "fitting/face_result.hpp"
#include "tracking/tracker.hpp"

namespace pyfacelm::py_bindings {

namespace {

// Keeps the model and detector alive as long as the tracker.
struct PyTracker {
  py::object model_ref, detector_ref;
  std::unique_ptr<Tracker> tracker;
  std::mutex busy;  // one stream is processed frame after frame
};

}  // namespace

void bind_tracker(py::module_& m) {
  py::class_<PyTracker>(m, "Tracker", "Video tracking state for one stream (OpenFace's video mode).")
      .def(py::init([](py::object model, py::object detector, int max_faces, const py::object& params) {
             const CLNF& c = model.cast<const CLNF&>();
             const MTCNN* d = detector.is_none() ? nullptr : &detector.cast<const MTCNN&>();
             auto t = std::make_unique<PyTracker>();
             t->model_ref = model;
             t->detector_ref = detector;
             t->tracker = std::make_unique<Tracker>(c, d, max_faces, params_arg(params, c.default_parameters()));
             return t;
           }),
           py::arg("model"), py::arg("detector"), py::arg("max_faces") = 1, py::arg("params") = py::none())
      .def("reset",
           [](PyTracker& t) {
             py::gil_scoped_release release;
             std::lock_guard<std::mutex> lock(t.busy);
             t.tracker->reset();
           })
      .def(
          "update",
          [](PyTracker& t, const py::handle& frame, const std::string& color, const py::object& intrinsics) {
            ImageArg img = image_from_python(frame, color, "frame");
            const Intrinsics K = intrinsics_arg(intrinsics, img.view.cols, img.view.rows);
            const CLNF& model = t.model_ref.cast<const CLNF&>();
            std::vector<FaceResult> faces;
            double core_seconds = 0;
            {
              py::gil_scoped_release release;
              std::lock_guard<std::mutex> lock(t.busy);
              const auto t0 = std::chrono::steady_clock::now();
              for (const TrackedResult& r : t.tracker->update(img.view)) {
                const TrackedFace& f = *r.face;
                // A tracked face reports the box its fit started from (the detection, or the
                // previous frame's shape) and the score of the detection that last started it.
                FaceResult fr = face_result(model, f.fit, K, f.start_box, r.success);
                if (!std::isnan(f.detection_score)) fr.detection_score = f.detection_score;
                fr.face_id = f.id;
                fr.tracking_initialised = f.tracking_initialised;
                fr.failures_in_a_row = f.failures_in_a_row;
                faces.push_back(std::move(fr));
              }
              core_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            }
            const TrackEvent& e = t.tracker->last_event();
            py::dict ev;
            ev["tracking_step"] = e.tracking_step;
            ev["redetect_attempted"] = e.redetect_attempted;
            ev["face_found"] = e.face_found;
            ev["restored_previous"] = e.restored_previous;
            ev["core_seconds"] = core_seconds;
            return py::make_tuple(py::cast(std::move(faces)), ev);
          },
          py::arg("frame"), py::arg("color") = "bgr", py::arg("intrinsics") = py::none());
}

}  // namespace pyfacelm::py_bindings
