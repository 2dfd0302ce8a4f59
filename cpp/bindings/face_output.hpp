// Shared by the fit and tracking bindings: argument parsing and result dicts.
#pragma once

#include "common.hpp"
#include "pyfacelm/clnf.hpp"
#include "pyfacelm/pose.hpp"

namespace pyfacelm::py_bindings {

Intrinsics intrinsics_arg(const py::object& obj, int width, int height);
Eigen::Vector4d box_arg(const py::object& obj, int width, int height);

// Camera-frame outputs computed without the GIL.
struct FaceOutputs {
  Eigen::Matrix<double, 6, 1> pose;
  Eigen::Matrix3Xf landmarks_3d;
};
FaceOutputs face_outputs(const CLNF& model, const FaceFit& f, const Intrinsics& K);

// The dict Face._from_core reads.
py::dict face_dict(const CLNF& model, const FaceFit& f, const FaceOutputs& o, const Eigen::Vector4d& box, bool success);

}  // namespace pyfacelm::py_bindings
