// Python arguments shared by the fitting and tracking bindings, parsed into the core's
// types; the rules a box or intrinsics must meet are the core's (checked_box, Intrinsics::checked).
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

}  // namespace pyfacelm::py_bindings
