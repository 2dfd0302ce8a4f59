// Configuration readers exposed for inspection and tests.
#include <pybind11/stl.h>

#include "common.hpp"
#include "io/file_readers.hpp"
#include "io/model_config.hpp"
#include "shape/pdm.hpp"

namespace pyfacelm::py_bindings {

void bind_model_io(py::module_& m) {
  m.def("read_main_config", [](const std::string& path) {
    MainConfig c;
    {
      py::gil_scoped_release release;
      c = read_main_config(path);
    }
    py::list parts;
    for (const auto& p : c.parts) {
      py::dict d;
      d["main_file"] = p.main_file;
      d["name"] = p.name;
      d["mapping"] = p.mapping;
      parts.append(d);
    }
    py::dict d;
    d["path"] = c.path;
    d["landmark_detector"] = c.landmark_detector;
    d["parts"] = parts;
    d["validator"] = c.validator;
    return d;
  }, py::arg("path"), "Parse a main_*.txt model file; the file paths it names are resolved.");

  m.def("read_model_description", [](const std::string& path) {
    ModelDescription md;
    {
      py::gil_scoped_release release;
      md = read_model_description(path);
    }
    py::dict d;
    d["path"] = md.path;
    d["pdm"] = md.pdm;
    d["triangulations"] = md.triangulations;
    d["svr_patches"] = md.svr_patches;
    d["ccnf_patches"] = md.ccnf_patches;
    d["cen_patches"] = md.cen_patches;
    d["early_termination"] = md.early_termination;
    return d;
  }, py::arg("path"), "Parse a per-model description file such as clnf_general.txt.");
}

}  // namespace pyfacelm::py_bindings
