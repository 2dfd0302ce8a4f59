// SPEC §2: shape model geometry, parameter updates and the two CalcParams.
#include "shape/pdm.hpp"

#include <Eigen/Cholesky>
#include <Eigen/LU>
#include <Eigen/SVD>
#include <cmath>
#include <limits>

#include "common/errors.hpp"
#include "io/file_readers.hpp"

namespace pyfacelm {

template <class T>
PDM<T>::PDM(Vec mean, Mat basis, Vec eigenvalues)
    : mean_(std::move(mean)), eigenvalues_(std::move(eigenvalues)), basis_(std::move(basis)) {
  if (mean_.size() == 0 || mean_.size() % 3 != 0)
    throw InvalidArgument("PDM mean shape must have 3n entries, has " + std::to_string(mean_.size()));
  if (basis_.rows() != mean_.size())
    throw InvalidArgument("PDM basis has " + std::to_string(basis_.rows()) + " rows, expected " +
                          std::to_string(mean_.size()));
  if (eigenvalues_.size() != basis_.cols())
    throw InvalidArgument("PDM has " + std::to_string(basis_.cols()) + " modes but " +
                          std::to_string(eigenvalues_.size()) + " eigenvalues");
  for (Eigen::Index i = 0; i < eigenvalues_.size(); ++i)
    if (!(eigenvalues_[i] > 0)) throw InvalidArgument("PDM eigenvalues must be positive");
}

template <class T>
typename PDM<T>::Vec PDM<T>::shape3d(const Vec& p) const {
  if (p.size() != n_modes())
    throw InvalidArgument("expected " + std::to_string(n_modes()) + " local parameters, got " + std::to_string(p.size()));
  Vec s = mean_;
  if (n_modes() > 0) s.noalias() += basis_ * p;
  return s;
}

template <class T>
void PDM<T>::project_shape3d(const Global& g, const Vec& S, Vec& out) const {
  const int n = n_points();
  Mat3<T> R = euler_to_rotation<T>(g[1], g[2], g[3]);
  out.resize(2 * n);
  const T s = g[0], tx = g[4], ty = g[5];
  for (int i = 0; i < n; ++i) {
    T X = S[i], Y = S[i + n], Z = S[i + 2 * n];
    out[i] = s * (R(0, 0) * X + R(0, 1) * Y + R(0, 2) * Z) + tx;
    out[i + n] = s * (R(1, 0) * X + R(1, 1) * Y + R(1, 2) * Z) + ty;
  }
}

template <class T>
typename PDM<T>::Vec PDM<T>::project(const Global& g, const Vec& p) const {
  Vec out;
  project_shape3d(g, shape3d(p), out);
  return out;
}

template <class T>
void PDM<T>::rigid_jacobian(const Global& g, const Vec& p, Mat& J) const {
  const int n = n_points();
  Vec S = shape3d(p);
  Mat3<T> R = euler_to_rotation<T>(g[1], g[2], g[3]);
  const T s = g[0];
  J.setZero(2 * n, 6);
  for (int i = 0; i < n; ++i) {
    T X = S[i], Y = S[i + n], Z = S[i + 2 * n];
    J(i, 0) = R(0, 0) * X + R(0, 1) * Y + R(0, 2) * Z;
    J(i, 1) = s * (Y * R(0, 2) - Z * R(0, 1));
    J(i, 2) = -s * (X * R(0, 2) - Z * R(0, 0));
    J(i, 3) = s * (X * R(0, 1) - Y * R(0, 0));
    J(i, 4) = T(1);
    J(i + n, 0) = R(1, 0) * X + R(1, 1) * Y + R(1, 2) * Z;
    J(i + n, 1) = s * (Y * R(1, 2) - Z * R(1, 1));
    J(i + n, 2) = -s * (X * R(1, 2) - Z * R(1, 0));
    J(i + n, 3) = s * (X * R(1, 1) - Y * R(1, 0));
    J(i + n, 5) = T(1);
  }
}

template <class T>
void PDM<T>::jacobian(const Global& g, const Vec& p, Mat& J) const {
  const int n = n_points(), m = n_modes();
  Mat rigid;
  rigid_jacobian(g, p, rigid);
  J.resize(2 * n, 6 + m);
  J.leftCols(6) = rigid;
  Mat3<T> R = euler_to_rotation<T>(g[1], g[2], g[3]);
  const T s = g[0];
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < m; ++j) {
      T vx = basis_(i, j), vy = basis_(i + n, j), vz = basis_(i + 2 * n, j);
      J(i, 6 + j) = s * (R(0, 0) * vx + R(0, 1) * vy + R(0, 2) * vz);
      J(i + n, 6 + j) = s * (R(1, 0) * vx + R(1, 1) * vy + R(1, 2) * vz);
    }
  }
}

template <class T>
void PDM<T>::update(Global& g, Vec& p, const Vec& delta) const {
  if (delta.size() != 6 && delta.size() != 6 + n_modes())
    throw InvalidArgument("parameter update must have 6 or 6+n_modes entries");
  g[0] += delta[0];
  g[4] += delta[4];
  g[5] += delta[5];
  Mat3<T> R1 = euler_to_rotation<T>(g[1], g[2], g[3]);
  // The small-angle rotation I + [w]x, projected back onto SO(3) (SPEC §2.5).
  Mat3<T> R2;
  R2 << T(1), -delta[3], delta[2], delta[3], T(1), -delta[1], -delta[2], delta[1], T(1);
  Eigen::JacobiSVD<Mat3<T>> svd(R2, Eigen::ComputeFullU | Eigen::ComputeFullV);
  Mat3<T> X = svd.matrixU() * svd.matrixV().transpose();
  Mat3<T> D = Mat3<T>::Identity();
  D(2, 2) = static_cast<T>(X.template cast<double>().determinant());
  R2 = svd.matrixU() * D * svd.matrixV().transpose();
  Mat3<T> R3 = R1 * R2;
  Vec3<T> axis = rotation_to_axis_angle(R3.template cast<double>()).template cast<T>();
  Vec3<T> euler = axis_angle_to_euler<T>(axis);
  if (std::isnan(euler[0]) || std::isnan(euler[1]) || std::isnan(euler[2])) euler.setZero();
  g[1] = euler[0];
  g[2] = euler[1];
  g[3] = euler[2];
  if (delta.size() > 6) p += delta.tail(n_modes());
}

template <class T>
void PDM<T>::clamp(Vec& p, T n_sigma) const {
  for (int j = 0; j < n_modes(); ++j) {
    T lim = n_sigma * std::sqrt(eigenvalues_[j]);
    if (p[j] > lim) p[j] = lim;
    else if (p[j] < -lim) p[j] = -lim;
  }
}

template <class T>
typename PDM<T>::Global PDM<T>::params_from_box(const Eigen::Vector4d& box, const Vec& p,
                                                const Vec3<T>& rotation) const {
  const int n = n_points();
  Vec S = shape3d(p);
  Mat3<T> R = euler_to_rotation<T>(rotation[0], rotation[1], rotation[2]);
  T min_x = std::numeric_limits<T>::infinity(), max_x = -min_x, min_y = min_x, max_y = -min_x;
  for (int i = 0; i < n; ++i) {
    Vec3<T> P = R * Vec3<T>(S[i], S[i + n], S[i + 2 * n]);
    min_x = std::min(min_x, P[0]);
    max_x = std::max(max_x, P[0]);
    min_y = std::min(min_y, P[1]);
    max_y = std::max(max_y, P[1]);
  }
  // Evaluated in T: with T = float this reproduces OpenFace's initial parameters
  // bit for bit on the reference boxes (107 of 111; double arithmetic: 51).
  const T width = std::fabs(max_x - min_x), height = std::fabs(max_y - min_y);
  const T bx = static_cast<T>(box[0]), by = static_cast<T>(box[1]), bw = static_cast<T>(box[2]), bh = static_cast<T>(box[3]);
  const T s = (bw / width + bh / height) / T(2);
  const T tx = bx + bw / T(2) - s * (min_x + max_x) / T(2);
  const T ty = by + bh / T(2) - s * (min_y + max_y) / T(2);
  Global g;
  g << s, rotation[0], rotation[1], rotation[2], tx, ty;
  return g;
}

template <class T>
Eigen::Matrix<T, 4, 1> PDM<T>::bounding_box(const Global& g, const Vec& p) const {
  Vec xy = project(g, p);
  const int n = n_points();
  T min_x = xy.head(n).minCoeff(), max_x = xy.head(n).maxCoeff();
  T min_y = xy.tail(n).minCoeff(), max_y = xy.tail(n).maxCoeff();
  return Eigen::Matrix<T, 4, 1>(min_x, min_y, max_x - min_x, max_y - min_y);
}

template <class T>
PDM<T> PDM<T>::subset(const std::vector<int>& idx) const {
  const int n = n_points(), k = static_cast<int>(idx.size());
  Vec mean(3 * k);
  Mat basis(3 * k, n_modes());
  for (int a = 0; a < 3; ++a)
    for (int i = 0; i < k; ++i) {
      if (idx[i] < 0 || idx[i] >= n) throw InvalidArgument("landmark index out of range");
      mean[a * k + i] = mean_[a * n + idx[i]];
      basis.row(a * k + i) = basis_.row(a * n + idx[i]);
    }
  return PDM(std::move(mean), std::move(basis), eigenvalues_);
}

template <class T>
std::pair<typename PDM<T>::Global, typename PDM<T>::Vec> PDM<T>::fit_landmarks(const Vec& landmarks,
                                                                               const Vec3<T>& rotation,
                                                                               T reg_factor) const {
  const int n_all = n_points(), m = n_modes();
  if (landmarks.size() != 2 * n_all)
    throw InvalidArgument("expected " + std::to_string(n_all) + " landmarks, got " + std::to_string(landmarks.size() / 2));
  // §2.9 step 1: a landmark is missing iff its x is exactly 0.
  std::vector<int> visible;
  for (int i = 0; i < n_all; ++i)
    if (landmarks[i] != T(0)) visible.push_back(i);
  if (visible.size() < 3) throw InvalidArgument("at least 3 landmarks with x != 0 are needed to fit the shape model");
  const PDM reduced = visible.size() == static_cast<std::size_t>(n_all) ? *this : subset(visible);
  const int n = static_cast<int>(visible.size());
  Vec target(2 * n);
  for (int i = 0; i < n; ++i) {
    target[i] = landmarks[visible[i]];
    target[i + n] = landmarks[visible[i] + n_all];
  }
  for (int i = 0; i < 2 * n; ++i) {
    if (!std::isfinite(target[i])) throw InvalidArgument("landmarks contain NaN or infinity");
    if (std::fabs(target[i]) > T(1e7)) throw InvalidArgument("landmark coordinates beyond 1e7 pixels");
  }

  // Step 2: initial guess from the two bounding boxes (model box unrotated).
  T min_x = target.head(n).minCoeff(), max_x = target.head(n).maxCoeff();
  T min_y = target.tail(n).minCoeff(), max_y = target.tail(n).maxCoeff();
  T W = std::fabs(max_x - min_x), H = std::fabs(max_y - min_y);
  if (!(W > 0) || !(H > 0)) throw InvalidArgument("landmarks are degenerate (zero width or height)");
  Global unit;
  unit << T(1), T(0), T(0), T(0), T(0), T(0);
  Vec p = Vec::Zero(m);
  Eigen::Matrix<T, 4, 1> mb = reduced.bounding_box(unit, p);
  Global g;
  g << (W / mb[2] + H / mb[3]) / T(2), rotation[0], rotation[1], rotation[2], (min_x + max_x) / T(2),
      (min_y + max_y) / T(2);

  // Step 3-4: damped, regularised Gauss-Newton (W = I).
  Vec reg_diag = Vec::Zero(6 + m);
  for (int j = 0; j < m; ++j) reg_diag[6 + j] = reg_factor / eigenvalues_[j];
  Vec S = reduced.shape3d(p);
  Vec cur;
  reduced.project_shape3d(g, S, cur);
  T prev_error = (target - cur).norm();
  int not_improved = 0;
  Mat J, H_;
  for (int it = 0; it < 1000; ++it) {
    S = reduced.shape3d(p);
    reduced.project_shape3d(g, S, cur);
    Vec r = target - cur;
    reduced.jacobian(g, p, J);
    Vec b = J.transpose() * r;
    for (int j = 0; j < m; ++j) b[6 + j] -= reg_diag[6 + j] * p[j];
    H_ = J.transpose() * J;
    H_.diagonal() += reg_diag;
    Eigen::LLT<Mat> llt(H_);
    Vec delta = llt.info() == Eigen::Success ? Vec(llt.solve(b)) : Vec(Vec::Zero(6 + m));
    delta *= T(0.75);
    reduced.update(g, p, delta);
    // Quirk kept (SPEC §2.9, §13.4): the error uses the new g but the old 3D shape.
    reduced.project_shape3d(g, S, cur);
    T error = (target - cur).norm();
    if (T(0.999) * prev_error < error) {
      if (++not_improved == 3) break;
    }
    prev_error = error;
  }
  return {g, p};
}

template <class T>
PDM<T> load_pdm(const std::string& path) {
  TextReader in(path);
  in.skip_comments();
  RowMatrix<double> mean = in.matrix<double>("PDM mean shape", -1, 1);
  if (mean.rows() == 0 || mean.rows() % 3 != 0) in.fail("PDM mean shape must have 3n rows");
  in.skip_comments();
  RowMatrix<double> basis = in.matrix<double>("PDM principal components", static_cast<int>(mean.rows()));
  in.skip_comments();
  RowMatrix<double> eig = in.matrix<double>("PDM eigenvalues", 1, static_cast<int>(basis.cols()));
  in.expect_end("PDM file");
  for (Eigen::Index j = 0; j < eig.cols(); ++j)
    if (!(eig(0, j) > 0)) in.fail("PDM eigenvalue " + std::to_string(j) + " is not positive");
  using V = typename PDM<T>::Vec;
  using M = typename PDM<T>::Mat;
  return PDM<T>(V(mean.col(0).template cast<T>()), M(basis.template cast<T>()),
                V(eig.row(0).transpose().template cast<T>()));
}

template class PDM<float>;
template class PDM<double>;
template PDM<float> load_pdm<float>(const std::string&);
template PDM<double> load_pdm<double>(const std::string&);

}  // namespace pyfacelm
