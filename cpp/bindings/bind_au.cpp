// _clnf.AUModel / AUFeatures / AUSequence: the action-unit stage for Python. Glue only;
// the GIL is released around every computation.
#include <pybind11/stl.h>

#include <memory>

#include "au/au_analyser.hpp"
#include "au/fhog.hpp"
#include "common.hpp"

namespace pyfacelm::py_bindings {

namespace {

// (68, 2) landmarks (or the stacked 136-vector) -> [x..., y...] float32.
Eigen::VectorXf landmarks_arg(const py::handle& obj, int n) {
  const auto v = finite_vector(py::module_::import("numpy").attr("ravel")(obj), 2 * n, "landmarks");
  Eigen::VectorXf out(2 * n);
  const bool pairs = py::isinstance<py::array>(obj) && py::reinterpret_borrow<py::array>(obj).ndim() == 2;
  for (int i = 0; i < n; ++i) {
    out[i] = static_cast<float>(pairs ? v[2 * static_cast<std::size_t>(i)] : v[static_cast<std::size_t>(i)]);
    out[i + n] = static_cast<float>(pairs ? v[2 * static_cast<std::size_t>(i) + 1] : v[static_cast<std::size_t>(i + n)]);
  }
  return out;
}

py::array_t<double> doubles(const std::vector<double>& v) {
  py::array_t<double> a(static_cast<py::ssize_t>(v.size()));
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

py::tuple values_out(const AUValues& v) { return py::make_tuple(doubles(v.intensity), doubles(v.presence)); }

std::vector<std::string> names(const AUModel& m, bool intensity) {
  std::vector<std::string> out;
  for (const auto& p : m.predictors())
    if (p.intensity() == intensity) out.push_back(p.name);
  return out;
}

// pybind11 holders cannot be pointers to const; the model is never modified through it.
using ModelPtr = std::shared_ptr<AUModel>;

}  // namespace

void bind_au(py::module_& m) {
  py::class_<AUFeatures, std::shared_ptr<AUFeatures>>(m, "AUFeatures", "Aligned face, HOG and geometry of one face observation.")
      .def_property_readonly("aligned_face", [](const AUFeatures& f) {
        const py::ssize_t s = f.face.size;
        py::array_t<std::uint8_t> a({s, s, py::ssize_t(3)});
        std::copy(f.face.pixels.begin(), f.face.pixels.end(), a.mutable_data());
        return a;
      }, "(112, 112, 3) uint8, B, G, R, masked.")
      .def_property_readonly("hog", [](const AUFeatures& f) {
        py::array_t<float> a(static_cast<py::ssize_t>(f.hog.size()));
        std::copy(f.hog.begin(), f.hog.end(), a.mutable_data());
        return a;
      }, "(4464,) float32 FHOG, (row * 12 + col) * 31 + feature.")
      .def_property_readonly("geometry", [](const AUFeatures& f) {
        return doubles(std::vector<double>(f.geometry.data(), f.geometry.data() + f.geometry.size()));
      }, "(238,) float64 [V p, p].")
      .def_property_readonly("params_global", [](const AUFeatures& f) {
        return doubles(std::vector<double>(f.face.params_global.data(), f.face.params_global.data() + 6));
      })
      .def_property_readonly("params_local", [](const AUFeatures& f) {
        return doubles(std::vector<double>(f.face.params_local.data(), f.face.params_local.data() + f.face.params_local.size()));
      })
      .def_property_readonly("warp", [](const AUFeatures& f) {
        py::array_t<float> a({py::ssize_t(2), py::ssize_t(3)});
        std::copy(f.face.warp.begin(), f.face.warp.end(), a.mutable_data());
        return a;
      }, "(2, 3) float32 forward map image -> aligned face.")
      .def("with_geometry", [](const AUFeatures& f, const py::handle& geometry) {
        const auto g = finite_vector(geometry, static_cast<py::ssize_t>(f.geometry.size()), "geometry");
        auto out = std::make_shared<AUFeatures>(f);
        for (std::size_t i = 0; i < g.size(); ++i) out->geometry[static_cast<Eigen::Index>(i)] = g[i];
        return out;
      }, py::arg("geometry"), "A copy with another geometry descriptor (to isolate the PDM fit in tests).");

  py::class_<AUModel, ModelPtr>(m, "AUModel", "A loaded AU configuration (immutable, shareable across threads).")
      .def(py::init([](const std::string& module_file) {
             py::gil_scoped_release release;
             return std::const_pointer_cast<AUModel>(AUModel::load(module_file));
           }),
           py::arg("module_file"))
      .def_property_readonly("path", &AUModel::path)
      .def_property_readonly("intensity_names", [](const AUModel& a) { return names(a, true); })
      .def_property_readonly("presence_names", [](const AUModel& a) { return names(a, false); })
      .def_property_readonly("dynamic", &AUModel::has_dynamic)
      .def(
          "features",
          [](const ModelPtr& model, const py::handle& image, const py::handle& landmarks, const std::string& color) {
            ImageArg img = image_from_python(image, color);
            const Eigen::VectorXf L = landmarks_arg(landmarks, model->pdm().n_points());
            py::gil_scoped_release release;
            return std::make_shared<AUFeatures>(compute_au_features(*model, img.view, L));
          },
          py::arg("image"), py::arg("landmarks"), py::arg("color") = "bgr")
      .def("failed_features", [](const ModelPtr& model) { return std::make_shared<AUFeatures>(failed_au_features(*model)); })
      .def(
          "predict_static",
          [](const ModelPtr& model, const AUFeatures& f) {
            AUValues v;
            {
              py::gil_scoped_release release;
              v = predict_static(*model, f);
            }
            return values_out(v);
          },
          py::arg("features"));

  py::class_<AUSequence>(m, "AUSequence", "Per-stream AU state: running medians, history, post-processing.")
      .def(py::init([](const ModelPtr& model) { return std::make_unique<AUSequence>(model); }), py::arg("model"))
      .def(
          "add",
          [](AUSequence& s, const AUFeatures& f, bool success) {
            AUValues v;
            {
              py::gil_scoped_release release;
              v = s.add_frame(f, success);
            }
            return values_out(v);
          },
          py::arg("features"), py::arg("success"))
      .def("postprocess", [](const AUSequence& s) {
        std::vector<AUValues> all;
        {
          py::gil_scoped_release release;
          all = s.postprocess();
        }
        const py::ssize_t nf = static_cast<py::ssize_t>(all.size());
        const py::ssize_t ni = s.model().n_intensities(), np_ = s.model().n_presences();
        py::array_t<double> I({nf, ni}), P({nf, np_});
        auto a = I.mutable_unchecked<2>();
        auto b = P.mutable_unchecked<2>();
        for (py::ssize_t f = 0; f < nf; ++f) {
          for (py::ssize_t k = 0; k < ni; ++k) a(f, k) = all[static_cast<std::size_t>(f)].intensity[static_cast<std::size_t>(k)];
          for (py::ssize_t k = 0; k < np_; ++k) b(f, k) = all[static_cast<std::size_t>(f)].presence[static_cast<std::size_t>(k)];
        }
        return py::make_tuple(I, P);
      })
      .def_property_readonly("n_frames", &AUSequence::n_frames)
      .def_property_readonly("hog_median", [](const AUSequence& s) { return doubles(s.hog_median().median()); })
      .def_property_readonly("geometry_median", [](const AUSequence& s) { return doubles(s.geometry_median().median()); })
      .def_property_readonly("median_count", [](const AUSequence& s) { return s.hog_median().count(); });

  m.def(
      "fhog",
      [](const py::array_t<std::uint8_t, py::array::c_style | py::array::forcecast>& image) {
        if (image.ndim() != 2 && image.ndim() != 3) throw py::value_error("image must be H x W or H x W x C");
        const int channels = image.ndim() == 3 ? static_cast<int>(image.shape(2)) : 1;
        if (channels != 1 && channels != 3) throw py::value_error("image must have 1 or 3 channels");
        const int rows = static_cast<int>(image.shape(0)), cols = static_cast<int>(image.shape(1));
        FHOG h;
        {
          py::gil_scoped_release release;
          h = fhog(image.data(), rows, cols, channels);
        }
        py::array_t<float> a({static_cast<py::ssize_t>(h.rows), static_cast<py::ssize_t>(h.cols), py::ssize_t(31)});
        std::copy(h.features.begin(), h.features.end(), a.mutable_data());
        return a;
      },
      py::arg("image"),
      "dlib's FHOG (cell size 8) of an 8-bit image (gray, or 3 channels in B, G, R order): (rows, cols, 31).");
}

}  // namespace pyfacelm::py_bindings
