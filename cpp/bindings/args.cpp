// Python arguments shared by the fitting and tracking bindings, parsed into the core's
// types; the rules a box or intrinsics must meet are the core's (checked_box, Intrinsics::checked).
#include <pybind11/stl.h>

#include <string>
#include <type_traits>

#include "common.hpp"
#include "fitting/face_box.hpp"

namespace pyfacelm::py_bindings {

Intrinsics intrinsics_arg(const py::object& obj, int width, int height) {
  if (obj.is_none()) return Intrinsics::guess(width, height);
  const auto v = finite_vector(obj, 4, "intrinsics (fx, fy, cx, cy)");
  return Intrinsics::checked(v[0], v[1], v[2], v[3]);
}

Eigen::Vector4d box_arg(const py::object& obj, int width, int height) {
  const auto b = finite_vector(obj, 4, "box (x, y, w, h)");
  return checked_box(Eigen::Vector4d(b[0], b[1], b[2], b[3]), width, height);
}

namespace {

std::string type_name(const py::handle& v) { return py::str(py::type::of(v).attr("__name__")); }

// Python ints of any size, clamped into int's range: out-of-range values are the core's to
// reject, with its message.
int clamped_int(const py::handle& v) {
  const double x = v.cast<double>();
  return x < -(1 << 30) ? -(1 << 30) : (x > (1 << 30) ? (1 << 30) : static_cast<int>(v.cast<long long>()));
}

// One attribute of a parameters object as T; a mistyped attribute is a TypeError naming it.
template <typename T>
T attribute(const py::object& obj, const char* name) {
  const py::object v = obj.attr(name);
  const bool is_bool = py::isinstance<py::bool_>(v);
  const bool is_int = !is_bool && py::isinstance<py::int_>(v);
  if constexpr (std::is_same_v<T, bool>) {
    if (!is_bool) throw py::type_error(std::string("params.") + name + " must be a bool, got " + type_name(v));
    return v.cast<bool>();
  } else if constexpr (std::is_same_v<T, int>) {
    if (!is_int) throw py::type_error(std::string("params.") + name + " must be an int, got " + type_name(v));
    return clamped_int(v);
  } else {
    if (!is_int && !py::isinstance<py::float_>(v))
      throw py::type_error(std::string("params.") + name + " must be a number, got " + type_name(v));
    return v.cast<double>();
  }
}

std::vector<int> windows_attribute(const py::object& obj, const char* name) {
  const py::object v = obj.attr(name);
  if (!py::isinstance<py::sequence>(v) || py::isinstance<py::str>(v))
    throw py::type_error(std::string("params.") + name + " must be a sequence of ints");
  std::vector<int> out;
  for (const py::handle item : v) {
    if (py::isinstance<py::bool_>(item) || !py::isinstance<py::int_>(item))
      throw py::type_error(std::string("params.") + name + " must be a sequence of ints, got a " + type_name(item));
    out.push_back(clamped_int(item));
  }
  return out;
}

}  // namespace

DetectionParameters params_arg(const py::object& obj, const DetectionParameters& defaults) {
  DetectionParameters P = defaults;
  if (obj.is_none()) return P;
  for (const char* name : {"window_sizes_init", "window_sizes_small", "sigma", "reg_factor", "weight_factor",
                           "iterations", "multi_view", "validate_detections", "validation_boundary",
                           "refine_hierarchical", "reinit_video_every"})
    if (!py::hasattr(obj, name))
      throw py::type_error("params must be a pyfacelm.FitParameters, got " + type_name(obj) + " (no attribute '" +
                           name + "')");
  P.window_sizes_init = windows_attribute(obj, "window_sizes_init");
  P.window_sizes_small = windows_attribute(obj, "window_sizes_small");
  P.fit.sigma = static_cast<float>(attribute<double>(obj, "sigma"));
  P.fit.reg_factor = static_cast<float>(attribute<double>(obj, "reg_factor"));
  P.fit.weight_factor = static_cast<float>(attribute<double>(obj, "weight_factor"));
  P.fit.num_iterations = attribute<int>(obj, "iterations");
  P.multi_view = attribute<bool>(obj, "multi_view");
  P.validate_detections = attribute<bool>(obj, "validate_detections");
  P.validation_boundary = static_cast<float>(attribute<double>(obj, "validation_boundary"));
  P.refine_hierarchical = attribute<bool>(obj, "refine_hierarchical");
  P.reinit_video_every = attribute<int>(obj, "reinit_video_every");
  P.validate();
  return P;
}

py::dict params_dict(const DetectionParameters& P) {
  py::dict d;
  d["window_sizes_init"] = py::tuple(py::cast(P.window_sizes_init));
  d["window_sizes_small"] = py::tuple(py::cast(P.window_sizes_small));
  d["sigma"] = P.fit.sigma;
  d["reg_factor"] = P.fit.reg_factor;
  d["weight_factor"] = P.fit.weight_factor;
  d["iterations"] = P.fit.num_iterations;
  d["multi_view"] = P.multi_view;
  d["validate_detections"] = P.validate_detections;
  d["validation_boundary"] = P.validation_boundary;
  d["refine_hierarchical"] = P.refine_hierarchical;
  d["reinit_video_every"] = P.reinit_video_every;
  return d;
}

}  // namespace pyfacelm::py_bindings
