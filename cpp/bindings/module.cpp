// pyfacelm._clnf: the compiled core. Glue only; algorithms live in cpp/src.
#include "common.hpp"
#include "pyfacelm/errors.hpp"

namespace py = pybind11;

PYBIND11_MODULE(_clnf, m) {
  m.doc() = "Compiled core of pyfacelm (OpenFace's landmark detector, reimplemented in C++).";
  py::register_exception<pyfacelm::ModelFormatError>(m, "ModelFormatError", PyExc_ValueError);
  py::register_exception<pyfacelm::ModelNotFoundError>(m, "ModelNotFoundError", PyExc_FileNotFoundError);
  pyfacelm::py_bindings::bind_image(m);
  pyfacelm::py_bindings::bind_pdm(m);
  pyfacelm::py_bindings::bind_model_io(m);
}
