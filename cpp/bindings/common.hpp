// Shared pieces of the _clnf bindings: argument conversion and the per-class binders.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

#include <Eigen/Core>

#include "image/image.hpp"
#include "shape/pose.hpp"

namespace pyfacelm::py_bindings {

namespace py = pybind11;

// A caller's image seen through its numpy strides. uint8 arrays are never
// copied; uint16 arrays are narrowed into `owned` (value / 256, rounded).
struct ImageArg {
  ImageView view;
  std::vector<std::uint8_t> owned;
  py::object keep_alive;
  bool copied = false;
};

ImageArg image_from_python(const py::handle& obj, const std::string& color, const char* name = "image");

// 1-D float64 array of exactly `n` finite values from any array-like.
std::vector<double> finite_vector(const py::handle& obj, py::ssize_t n, const char* name);

// None -> OpenFace's guess for the image size; else four finite numbers meeting Intrinsics::checked.
Intrinsics intrinsics_arg(const py::object& obj, int width, int height);
// Four finite numbers (x, y, w, h) meeting checked_box for the image size.
Eigen::Vector4d box_arg(const py::object& obj, int width, int height);

void bind_image(py::module_& m);
void bind_pdm(py::module_& m);
void bind_model_io(py::module_& m);
void bind_model_files(py::module_& m);
void bind_face_result(py::module_& m);
void bind_clnf(py::module_& m);
void bind_mtcnn(py::module_& m);
void bind_tracker(py::module_& m);

}  // namespace pyfacelm::py_bindings
