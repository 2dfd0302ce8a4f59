// pyfacelm._clnf.PDM: the 3D shape model for Python (float32 = OpenFace's arithmetic).
#include <variant>

#include "common.hpp"
#include "shape/pdm.hpp"

namespace pyfacelm::py_bindings {

namespace {

class PyPDM {
 public:
  PyPDM(const std::string& path, const std::string& dtype) : path_(path) {
    if (dtype == "float32") model_ = load_pdm<float>(path);
    else if (dtype == "float64") model_ = load_pdm<double>(path);
    else throw py::value_error("dtype must be 'float32' (OpenFace's arithmetic, default) or 'float64', got '" + dtype + "'");
  }

  template <class F>
  auto visit(F&& f) const {
    return std::visit(std::forward<F>(f), model_);
  }
  int n_points() const { return visit([](const auto& p) { return p.n_points(); }); }
  int n_modes() const { return visit([](const auto& p) { return p.n_modes(); }); }
  std::string dtype() const { return std::holds_alternative<PDM<float>>(model_) ? "float32" : "float64"; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::variant<PDM<float>, PDM<double>> model_;
};

template <class T>
Eigen::Matrix<T, 6, 1> global_arg(const py::handle& g) {
  auto v = finite_vector(g, 6, "params_global");
  Eigen::Matrix<T, 6, 1> out;
  for (int i = 0; i < 6; ++i) out[i] = static_cast<T>(v[static_cast<std::size_t>(i)]);
  return out;
}

template <class T>
Eigen::Matrix<T, Eigen::Dynamic, 1> local_arg(const py::handle& p, int m) {
  if (p.is_none()) return Eigen::Matrix<T, Eigen::Dynamic, 1>::Zero(m);
  auto v = finite_vector(p, m, "params_local");
  Eigen::Matrix<T, Eigen::Dynamic, 1> out(m);
  for (int i = 0; i < m; ++i) out[i] = static_cast<T>(v[static_cast<std::size_t>(i)]);
  return out;
}

template <class T>
Vec3<T> rotation_arg(const py::handle& r) {
  auto v = finite_vector(r, 3, "rotation");
  return Vec3<T>(static_cast<T>(v[0]), static_cast<T>(v[1]), static_cast<T>(v[2]));
}

template <class V>
py::array_t<double> vec_out(const V& v) {
  py::array_t<double> out(v.size());
  for (Eigen::Index i = 0; i < v.size(); ++i) out.mutable_at(i) = static_cast<double>(v[i]);
  return out;
}

// A 2n or 3n stacked vector ([x..., y...]) as an (n, k) array.
template <class V>
py::array_t<double> points_out(const V& v, int k) {
  const py::ssize_t n = v.size() / k;
  py::array_t<double> out({n, static_cast<py::ssize_t>(k)});
  auto a = out.mutable_unchecked<2>();
  for (py::ssize_t i = 0; i < n; ++i)
    for (int c = 0; c < k; ++c) a(i, c) = static_cast<double>(v[c * n + i]);
  return out;
}

}  // namespace

void bind_pdm(py::module_& m) {
  py::class_<PyPDM>(m, "PDM", R"doc(OpenFace's 3D point distribution model (PDM): a mean 3D shape plus linear modes.

Landmarks are x = s * (first two rows of Rx(rx) Ry(ry) Rz(rz)) (mean + V p) + (tx, ty).
params_global is [scale, rx, ry, rz, tx, ty] (radians); params_local has n_modes entries.
dtype 'float32' computes exactly as OpenFace does; 'float64' is available for analysis.)doc")
      .def(py::init([](const py::object& path, const std::string& dtype) {
             // str, bytes or os.PathLike, decoded as the filesystem does.
             return PyPDM(py::module_::import("os").attr("fsdecode")(path).cast<std::string>(), dtype);
           }),
           py::arg("path"), py::arg("dtype") = "float32")
      .def_property_readonly("n_points", &PyPDM::n_points)
      .def_property_readonly("n_modes", &PyPDM::n_modes)
      .def_property_readonly("dtype", &PyPDM::dtype)
      .def_property_readonly("path", &PyPDM::path)
      .def_property_readonly("mean_shape", [](const PyPDM& s) {
        return s.visit([](const auto& p) { return points_out(p.mean(), 3); });
      }, "(n_points, 3) mean shape in mm.")
      .def_property_readonly("eigenvalues", [](const PyPDM& s) {
        return s.visit([](const auto& p) { return vec_out(p.eigenvalues()); });
      }, "(n_modes,) variances of the modes.")
      .def("shape3d", [](const PyPDM& s, const py::object& pl) {
        return s.visit([&](const auto& p) {
          using T = typename std::decay_t<decltype(p)>::Vec::Scalar;
          return points_out(p.shape3d(local_arg<T>(pl, p.n_modes())), 3);
        });
      }, py::arg("params_local") = py::none(), "(n_points, 3) model-frame shape mean + V p (mm).")
      .def("project", [](const PyPDM& s, const py::object& g, const py::object& pl) {
        return s.visit([&](const auto& p) {
          using T = typename std::decay_t<decltype(p)>::Vec::Scalar;
          return points_out(p.project(global_arg<T>(g), local_arg<T>(pl, p.n_modes())), 2);
        });
      }, py::arg("params_global"), py::arg("params_local") = py::none(), "(n_points, 2) image landmarks.")
      .def("jacobian", [](const PyPDM& s, const py::object& g, const py::object& pl, bool rigid) {
        return s.visit([&](const auto& p) {
          using P = std::decay_t<decltype(p)>;
          using T = typename P::Vec::Scalar;
          typename P::Mat J;
          auto gg = global_arg<T>(g);
          auto ll = local_arg<T>(pl, p.n_modes());
          if (rigid) p.rigid_jacobian(gg, ll, J);
          else p.jacobian(gg, ll, J);
          py::array_t<double> out({J.rows(), J.cols()});
          auto a = out.template mutable_unchecked<2>();
          for (Eigen::Index r = 0; r < J.rows(); ++r)
            for (Eigen::Index c = 0; c < J.cols(); ++c) a(r, c) = static_cast<double>(J(r, c));
          return out;
        });
      }, py::arg("params_global"), py::arg("params_local") = py::none(), py::arg("rigid") = false,
         "(2n, 6 + n_modes) Jacobian (rows x_0..x_n-1, y_0..y_n-1; columns ds, dwx, dwy, dwz, dtx, dty, dp...).\n"
         "Rotation columns are w.r.t. an incremental rotation R (I + [w]x). rigid=True gives the first 6 columns.")
      .def("update", [](const PyPDM& s, const py::object& g, const py::object& pl, const py::object& delta) {
        return s.visit([&](const auto& p) {
          using P = std::decay_t<decltype(p)>;
          using T = typename P::Vec::Scalar;
          auto gg = global_arg<T>(g);
          auto ll = local_arg<T>(pl, p.n_modes());
          py::ssize_t n = py::len(delta);
          if (n != 6 && n != 6 + p.n_modes())
            throw py::value_error("delta must have 6 or 6 + n_modes values");
          auto dv = finite_vector(delta, n, "delta");
          typename P::Vec d(n);
          for (py::ssize_t i = 0; i < n; ++i) d[i] = static_cast<T>(dv[static_cast<std::size_t>(i)]);
          p.update(gg, ll, d);
          return py::make_tuple(vec_out(gg), vec_out(ll));
        });
      }, py::arg("params_global"), py::arg("params_local"), py::arg("delta"),
         "Apply a parameter update as OpenFace does (rotation composed, not added); returns (params_global, params_local).")
      .def("clamp", [](const PyPDM& s, const py::object& pl, double n_sigma) {
        return s.visit([&](const auto& p) {
          using T = typename std::decay_t<decltype(p)>::Vec::Scalar;
          auto ll = local_arg<T>(pl, p.n_modes());
          p.clamp(ll, static_cast<T>(n_sigma));
          return vec_out(ll);
        });
      }, py::arg("params_local"), py::arg("n_sigma") = 3.0, "Clip each p_j to +-n_sigma*sqrt(lambda_j).")
      .def("params_from_box", [](const PyPDM& s, const py::object& box, const py::object& rotation, const py::object& pl) {
        auto b = finite_vector(box, 4, "box");
        if (!(b[2] > 0) || !(b[3] > 0)) throw py::value_error("box width and height must be positive");
        return s.visit([&](const auto& p) {
          using T = typename std::decay_t<decltype(p)>::Vec::Scalar;
          return vec_out(p.params_from_box(Eigen::Vector4d(b[0], b[1], b[2], b[3]), local_arg<T>(pl, p.n_modes()),
                                           rotation_arg<T>(rotation)));
        });
      }, py::arg("box"), py::arg("rotation") = py::make_tuple(0.0, 0.0, 0.0), py::arg("params_local") = py::none(),
         "params_global whose projection's tight box is box = (x, y, w, h), for the given rotation and params_local.")
      .def("bounding_box", [](const PyPDM& s, const py::object& g, const py::object& pl) {
        return s.visit([&](const auto& p) {
          using T = typename std::decay_t<decltype(p)>::Vec::Scalar;
          auto b = p.bounding_box(global_arg<T>(g), local_arg<T>(pl, p.n_modes()));
          return py::make_tuple(double(b[0]), double(b[1]), double(b[2]), double(b[3]));
        });
      }, py::arg("params_global"), py::arg("params_local") = py::none(), "Tight box (x, y, w, h) of the projected landmarks.")
      .def("fit_landmarks", [](const PyPDM& s, const py::object& landmarks, const py::object& rotation, double reg_factor) {
        if (!(reg_factor >= 0) || !std::isfinite(reg_factor)) throw py::value_error("reg_factor must be a finite number >= 0");
        return s.visit([&](const auto& p) {
          using P = std::decay_t<decltype(p)>;
          using T = typename P::Vec::Scalar;
          const int n = p.n_points();
          py::array_t<double, py::array::forcecast | py::array::c_style> a;
          a = py::array_t<double, py::array::forcecast | py::array::c_style>::ensure(landmarks);
          if (!a || a.ndim() != 2 || a.shape(0) != n || a.shape(1) != 2)
            throw py::value_error("landmarks must be an array of shape (" + std::to_string(n) + ", 2)");
          typename P::Vec L(2 * n);
          auto r = a.template unchecked<2>();
          for (int i = 0; i < n; ++i) {
            if (!std::isfinite(r(i, 0)) || !std::isfinite(r(i, 1))) throw py::value_error("landmarks contain NaN or infinity");
            L[i] = static_cast<T>(r(i, 0));
            L[i + n] = static_cast<T>(r(i, 1));
          }
          auto rot = rotation_arg<T>(rotation);
          std::pair<typename P::Global, typename P::Vec> res;
          {
            py::gil_scoped_release release;
            res = p.fit_landmarks(L, rot, static_cast<T>(reg_factor));
          }
          return py::make_tuple(vec_out(res.first), vec_out(res.second));
        });
      }, py::arg("landmarks"), py::arg("rotation") = py::make_tuple(0.0, 0.0, 0.0), py::arg("reg_factor") = 1.0,
         "Fit (params_global, params_local) to (n, 2) landmarks. A landmark whose x is exactly 0\n"
         "is treated as missing, as in OpenFace. rotation is the initial (rx, ry, rz). reg_factor weighs the\n"
         "shape prior p^2/lambda: 1 is OpenFace's CalcParams (a MAP fit that pulls unusual shapes towards the\n"
         "mean by a fraction of a pixel); smaller values follow the landmarks more closely.")
      .def("__repr__", [](const PyPDM& s) {
        return "<PDM " + std::to_string(s.n_points()) + " points, " + std::to_string(s.n_modes()) + " modes, " +
               s.dtype() + ", '" + s.path() + "'>";
      });
}

}  // namespace pyfacelm::py_bindings
