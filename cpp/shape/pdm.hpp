// The 3D point distribution model (SPEC §2): shape = mean + basis * p, seen
// through a weak-perspective camera with parameters g = [s, rx, ry, rz, tx, ty].
#pragma once

#include <Eigen/Core>
#include <string>
#include <utility>
#include <vector>

#include "shape/rotation.hpp"

namespace pyfacelm {

template <class T>
class PDM {
 public:
  using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;
  using Mat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
  using Global = Eigen::Matrix<T, 6, 1>;

  PDM() = default;
  // mean: 3n ([X..., Y..., Z...]), basis: 3n x m, eigenvalues: m (variances).
  PDM(Vec mean, Mat basis, Vec eigenvalues);

  int n_points() const { return static_cast<int>(mean_.size() / 3); }
  int n_modes() const { return static_cast<int>(basis_.cols()); }
  const Vec& mean() const { return mean_; }
  const Mat& basis() const { return basis_; }
  const Vec& eigenvalues() const { return eigenvalues_; }

  // §2.1: S = mean + V p (3n).
  Vec shape3d(const Vec& p) const;
  // §2.3: 2n vector [x..., y...].
  Vec project(const Global& g, const Vec& p) const;
  void project_shape3d(const Global& g, const Vec& shape3d, Vec& out) const;
  // §2.4: 2n x (6+m) (full) or 2n x 6 (rigid) Jacobian; rotation columns are
  // derivatives w.r.t. an incremental rotation applied on the right.
  void jacobian(const Global& g, const Vec& p, Mat& J) const;
  void rigid_jacobian(const Global& g, const Vec& p, Mat& J) const;
  // §2.5: additive scale/translation/local, multiplicative rotation.
  void update(Global& g, Vec& p, const Vec& delta) const;
  // §2.6: p_j clipped to +-n_sigma*sqrt(lambda_j).
  void clamp(Vec& p, T n_sigma = T(3)) const;
  // §2.7: global parameters whose projection has the tight box `box` (x, y, w, h).
  Global params_from_box(const Eigen::Vector4d& box, const Vec& p, const Vec3<T>& rotation) const;
  // §2.8: tight box (x, y, w, h) of the projected instance.
  Eigen::Matrix<T, 4, 1> bounding_box(const Global& g, const Vec& p) const;
  // §2.9: fit (g, p) to 2n landmarks; a landmark with x == 0 exactly is missing.
  // reg_factor scales the shape prior diag(1/lambda); OpenFace uses 1.
  std::pair<Global, Vec> fit_landmarks(const Vec& landmarks, const Vec3<T>& rotation, T reg_factor = T(1)) const;

  // The same model restricted to the given landmark indices.
  PDM subset(const std::vector<int>& indices) const;
  template <class U>
  PDM<U> cast() const {
    return PDM<U>(mean_.template cast<U>(), basis_.template cast<U>(), eigenvalues_.template cast<U>());
  }

 private:
  Vec mean_, eigenvalues_;
  Mat basis_;
};

// SPEC §1.4: three text matrices (mean 3n x 1, basis 3n x m, eigenvalues 1 x m),
// read in double and narrowed to T.
template <class T>
PDM<T> load_pdm(const std::string& path);

}  // namespace pyfacelm
