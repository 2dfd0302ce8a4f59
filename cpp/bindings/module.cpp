// pyfacelm._clnf: the compiled core. Glue only; algorithms live in the stages of cpp/.
#include <cstring>
#include <new>

#include "common.hpp"
#include "common/errors.hpp"
#include "detection/cnn.hpp"

namespace py = pybind11;

namespace {

// Messages may quote a corrupt file's bytes or a user's path: decode them leniently
// so that raising the exception can never fail itself.
void set_error(PyObject* type, const char* what) {
  PyObject* msg = PyUnicode_DecodeUTF8(what, static_cast<Py_ssize_t>(std::strlen(what)), "replace");
  if (msg == nullptr) {
    PyErr_Clear();
    PyErr_SetString(type, "(unprintable error message)");
    return;
  }
  PyErr_SetObject(type, msg);
  Py_DECREF(msg);
}

}  // namespace

PYBIND11_MODULE(_clnf, m) {
  m.doc() = "Compiled core of pyfacelm (OpenFace's landmark detector, reimplemented in C++).";
  static py::exception<pyfacelm::ModelFormatError> format_error(m, "ModelFormatError", PyExc_ValueError);
  static py::exception<pyfacelm::ModelNotFoundError> not_found(m, "ModelNotFoundError", PyExc_FileNotFoundError);
  format_error.doc() = "A model file is malformed (the message names the file and the position).";
  not_found.doc() = "OpenFace model files could not be found or opened.";
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const pyfacelm::ModelFormatError& e) {
      set_error(format_error.ptr(), e.what());
    } catch (const pyfacelm::ModelNotFoundError& e) {
      set_error(not_found.ptr(), e.what());
    } catch (const pyfacelm::InvalidArgument& e) {
      set_error(PyExc_ValueError, e.what());
    } catch (const std::bad_alloc&) {
      // Every allocation in the core (Eigen, std containers, the aligned GEMM panels) reports
      // failure as std::bad_alloc; say what it means instead of pybind11's bare "std::bad_alloc".
      set_error(PyExc_MemoryError,
                "out of memory in pyfacelm's core: the request needs more memory than is available "
                "(a smaller image or a larger min_face needs less)");
    }
  });
  pyfacelm::py_bindings::bind_image(m);
  pyfacelm::py_bindings::bind_pdm(m);
  pyfacelm::py_bindings::bind_model_io(m);
  pyfacelm::py_bindings::bind_model_files(m);
  pyfacelm::py_bindings::bind_landmark_model(m);
  pyfacelm::py_bindings::bind_face_result(m);
  pyfacelm::py_bindings::bind_clnf(m);
  pyfacelm::py_bindings::bind_mtcnn(m);
  pyfacelm::py_bindings::bind_tracker(m);
  pyfacelm::py_bindings::bind_au(m);
  m.def(
      "simd_kernel", [] { return pyfacelm::gemm_kernel_name(pyfacelm::select_gemm_kernel()); },
      "The CNN convolution kernel a model loaded now would use ('avx2' or 'baseline'); reads PYFACELM_SIMD.");
}
