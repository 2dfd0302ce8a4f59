// Conversions from the core's fit state to Python values.
#include "face_output.hpp"

#include <pybind11/stl.h>

#include <cmath>

namespace pyfacelm::py_bindings {

namespace {

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

}  // namespace

Intrinsics intrinsics_arg(const py::object& obj, int width, int height) {
  if (obj.is_none()) return Intrinsics::guess(width, height);
  auto v = finite_vector(obj, 4, "intrinsics (fx, fy, cx, cy)");
  if (!(v[0] >= 1e-3 && v[0] <= 1e9) || !(v[1] >= 1e-3 && v[1] <= 1e9))
    throw py::value_error("intrinsics: fx and fy must be focal lengths in pixels, between 1e-3 and 1e9");
  if (std::fabs(v[2]) > 1e7 || std::fabs(v[3]) > 1e7)
    throw py::value_error("intrinsics: the principal point (cx, cy) must lie within 1e7 pixels");
  return Intrinsics{v[0], v[1], v[2], v[3]};
}

Eigen::Vector4d box_arg(const py::object& obj, int width, int height) {
  auto b = finite_vector(obj, 4, "box (x, y, w, h)");
  if (!(b[2] > 0) || !(b[3] > 0))
    throw py::value_error("box (x, y, w, h) must have positive width and height, got w=" + std::to_string(b[2]) +
                          ", h=" + std::to_string(b[3]));
  if (b[2] > 1e6 || b[3] > 1e6 || std::fabs(b[0]) > 1e6 || std::fabs(b[1]) > 1e6)
    throw py::value_error("box (x, y, w, h) is absurdly large");
  if (b[0] >= width || b[1] >= height || b[0] + b[2] <= 0 || b[1] + b[3] <= 0)
    throw py::value_error("box (x, y, w, h) lies entirely outside the " + std::to_string(width) + "x" +
                          std::to_string(height) + " image");
  return Eigen::Vector4d(b[0], b[1], b[2], b[3]);
}

FaceOutputs face_outputs(const CLNF& model, const FaceFit& f, const Intrinsics& K) {
  FaceOutputs o;
  o.pose = head_pose(model.main().pdm(), f.main.g, f.main.p, f.main.landmarks, K);
  o.landmarks_3d = landmarks_3d(model.main().pdm(), f.main.g, f.main.p, f.main.landmarks, K);
  // A degenerate fit (e.g. a vanishing face) has no camera-frame geometry: report zeros.
  if (!o.pose.allFinite()) o.pose.setZero();
  if (!o.landmarks_3d.allFinite()) o.landmarks_3d.setZero();
  return o;
}

py::dict face_dict(const CLNF& model, const FaceFit& f, const FaceOutputs& o, const Eigen::Vector4d& b, bool success) {
  py::dict d;
  d["landmarks"] = points(f.main.landmarks);
  const Eigen::Matrix3Xf& l3d = o.landmarks_3d;
  py::array_t<float> a3({static_cast<py::ssize_t>(l3d.cols()), py::ssize_t(3)});
  auto w = a3.mutable_unchecked<2>();
  for (Eigen::Index i = 0; i < l3d.cols(); ++i)
    for (int k = 0; k < 3; ++k) w(i, k) = l3d(k, i);
  d["landmarks_3d"] = a3;
  const int le = model.part_index("left_eye_28"), re = model.part_index("right_eye_28");
  if (le >= 0 && re >= 0 && static_cast<std::size_t>(std::max(le, re)) < f.parts.size() &&
      f.parts[static_cast<std::size_t>(le)].landmarks.size() > 0 && f.parts[static_cast<std::size_t>(re)].landmarks.size() > 0) {
    const auto& L = f.parts[static_cast<std::size_t>(le)].landmarks;
    const auto& R = f.parts[static_cast<std::size_t>(re)].landmarks;
    Eigen::VectorXf both(L.size() + R.size());
    const Eigen::Index nl = L.size() / 2, nr = R.size() / 2;
    both << L.head(nl), R.head(nr), L.tail(nl), R.tail(nr);
    d["eye_landmarks"] = points(both);
  } else {
    d["eye_landmarks"] = py::none();
  }
  d["params_global"] = std::vector<double>(f.main.g.data(), f.main.g.data() + 6);
  d["params_local"] = std::vector<double>(f.main.p.data(), f.main.p.data() + f.main.p.size());
  d["pose"] = std::vector<double>(o.pose.data(), o.pose.data() + 6);
  d["confidence"] = static_cast<double>(f.detection_certainty);
  d["success"] = success;
  d["detection_success"] = f.detection_success;
  d["model_likelihood"] = static_cast<double>(f.main.model_likelihood);
  d["landmark_likelihoods"] = f.main.landmark_likelihoods;
  d["view"] = f.main.view_used;
  d["box"] = std::vector<double>(b.data(), b.data() + 4);
  py::dict parts;
  for (std::size_t k = 0; k < f.parts.size() && k < model.parts().size(); ++k) {
    const FitState& ps = f.parts[k];
    py::dict pd;
    pd["landmarks"] = points(ps.landmarks);
    pd["params_global"] = std::vector<double>(ps.g.data(), ps.g.data() + 6);
    pd["params_local"] = std::vector<double>(ps.p.data(), ps.p.data() + ps.p.size());
    pd["model_likelihood"] = static_cast<double>(ps.model_likelihood);
    parts[py::str(model.parts()[k].name)] = pd;
  }
  d["parts"] = parts;
  return d;
}

}  // namespace pyfacelm::py_bindings
