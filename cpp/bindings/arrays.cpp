// Core vectors and matrices as new numpy arrays: the one place results become arrays.
#include "common.hpp"

namespace pyfacelm::py_bindings {

py::array_t<float> points_array(const Eigen::VectorXf& v) {
  const py::ssize_t n = v.size() / 2;
  py::array_t<float> out({n, py::ssize_t(2)});
  auto a = out.mutable_unchecked<2>();
  for (py::ssize_t i = 0; i < n; ++i) {
    a(i, 0) = v[i];
    a(i, 1) = v[i + n];
  }
  return out;
}

py::array_t<float> points3_array(const Eigen::Matrix3Xf& m) {
  py::array_t<float> out({static_cast<py::ssize_t>(m.cols()), py::ssize_t(3)});
  auto a = out.mutable_unchecked<2>();
  for (Eigen::Index i = 0; i < m.cols(); ++i)
    for (int k = 0; k < 3; ++k) a(i, k) = m(k, i);
  return out;
}

py::array_t<double> vector_array(const Eigen::Ref<const Eigen::VectorXd>& v) {
  py::array_t<double> out(static_cast<py::ssize_t>(v.size()));
  auto a = out.mutable_unchecked<1>();
  for (Eigen::Index i = 0; i < v.size(); ++i) a(i) = v[i];
  return out;
}

py::array_t<float> float_array(const Eigen::Ref<const Eigen::VectorXf>& v) {
  py::array_t<float> out(static_cast<py::ssize_t>(v.size()));
  auto a = out.mutable_unchecked<1>();
  for (Eigen::Index i = 0; i < v.size(); ++i) a(i) = v[i];
  return out;
}

}  // namespace pyfacelm::py_bindings
