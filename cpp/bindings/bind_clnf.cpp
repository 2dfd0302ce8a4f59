// _clnf.CLNFModel: a loaded detector; fit() releases the GIL and keeps all
// scratch per call, so one model serves many threads.
#include <pybind11/stl.h>

#include <cmath>

#include "common.hpp"
#include "pyfacelm/clnf.hpp"
#include "pyfacelm/pose.hpp"

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

Intrinsics intrinsics_arg(const py::object& obj, int width, int height) {
  if (obj.is_none()) return Intrinsics::guess(width, height);
  auto v = finite_vector(obj, 4, "intrinsics (fx, fy, cx, cy)");
  if (!(v[0] > 0) || !(v[1] > 0)) throw py::value_error("intrinsics: fx and fy must be positive");
  return Intrinsics{v[0], v[1], v[2], v[3]};
}

Eigen::Vector4d box_arg(const py::object& obj, int width, int height) {
  auto b = finite_vector(obj, 4, "box (x, y, w, h)");
  if (!(b[2] > 0) || !(b[3] > 0))
    throw py::value_error("box (x, y, w, h) must have positive width and height, got w=" + std::to_string(b[2]) +
                          ", h=" + std::to_string(b[3]));
  if (b[0] >= width || b[1] >= height || b[0] + b[2] <= 0 || b[1] + b[3] <= 0)
    throw py::value_error("box (x, y, w, h) lies entirely outside the " + std::to_string(width) + "x" +
                          std::to_string(height) + " image");
  if (b[2] > 1e6 || b[3] > 1e6 || std::fabs(b[0]) > 1e6 || std::fabs(b[1]) > 1e6)
    throw py::value_error("box (x, y, w, h) is absurdly large");
  return Eigen::Vector4d(b[0], b[1], b[2], b[3]);
}

}  // namespace

void bind_clnf(py::module_& m) {
  py::class_<CLNF>(m, "CLNFModel", "A loaded OpenFace detector (main model, parts, validator).")
      .def(py::init([](const std::string& main_file) {
             py::gil_scoped_release release;
             return CLNF::load(main_file);
           }),
           py::arg("main_file"))
      .def_property_readonly("path", &CLNF::path)
      .def_property_readonly("n_points", [](const CLNF& c) { return c.main().n_points(); })
      .def_property_readonly("n_modes", [](const CLNF& c) { return c.main().pdm().n_modes(); })
      .def_property_readonly("part_names", [](const CLNF& c) {
        std::vector<std::string> names;
        for (const auto& p : c.parts()) names.push_back(p.name);
        return names;
      })
      .def_property_readonly("has_validator", &CLNF::has_validator)
      .def_property_readonly("has_early_termination", &CLNF::has_early_termination)
      .def(
          "fit",
          [](const CLNF& model, const py::handle& image, const py::object& box, const std::string& color,
             const py::object& intrinsics, bool multi_view) {
            ImageArg img = image_from_python(image, color);
            const Eigen::Vector4d b = box_arg(box, img.view.cols, img.view.rows);
            const Intrinsics K = intrinsics_arg(intrinsics, img.view.cols, img.view.rows);
            DetectionParameters P = model.default_parameters();
            P.multi_view = multi_view;
            FaceFit f;
            Eigen::Matrix<double, 6, 1> pose;
            Eigen::Matrix3Xf l3d;
            {
              py::gil_scoped_release release;
              GrayImage gray = to_gray(img.view);
              f = model.fit_image(gray, b, P);
              pose = head_pose(model.main().pdm(), f.main.g, f.main.p, f.main.landmarks, K);
              l3d = landmarks_3d(model.main().pdm(), f.main.g, f.main.p, f.main.landmarks, K);
            }
            py::dict d;
            d["landmarks"] = points(f.main.landmarks);
            py::array_t<float> a3({l3d.cols(), Eigen::Index(3)});
            auto w = a3.mutable_unchecked<2>();
            for (Eigen::Index i = 0; i < l3d.cols(); ++i)
              for (int k = 0; k < 3; ++k) w(i, k) = l3d(k, i);
            d["landmarks_3d"] = a3;
            const int le = model.part_index("left_eye_28"), re = model.part_index("right_eye_28");
            if (le >= 0 && re >= 0) {
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
            d["pose"] = std::vector<double>(pose.data(), pose.data() + 6);
            d["confidence"] = static_cast<double>(f.detection_certainty);
            d["success"] = f.returned_success;
            d["detection_success"] = f.detection_success;
            d["model_likelihood"] = static_cast<double>(f.main.model_likelihood);
            d["view"] = f.main.view_used;
            d["box"] = std::vector<double>(b.data(), b.data() + 4);
            py::dict parts;
            for (std::size_t k = 0; k < f.parts.size(); ++k) {
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
          },
          py::arg("image"), py::arg("box"), py::arg("color") = "bgr", py::arg("intrinsics") = py::none(),
          py::arg("multi_view") = false);
}

}  // namespace pyfacelm::py_bindings
