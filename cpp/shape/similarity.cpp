// SPEC §3.2: AlignShapesWithScale (Kabsch with scale normalisation).
#include <Eigen/LU>
#include <Eigen/SVD>
#include <cmath>

#include "shape/similarity.hpp"

namespace pyfacelm {

Eigen::Matrix2f align_shapes_with_scale(const Eigen::VectorXf& src, const Eigen::VectorXf& dst) {
  const int n = static_cast<int>(src.size() / 2);
  auto centred = [n](const Eigen::VectorXf& v, Eigen::MatrixX2f& out, float& scale) {
    out.resize(n, 2);
    out.col(0) = v.head(n);
    out.col(1) = v.tail(n);
    Eigen::RowVector2f mean = out.colwise().sum() / static_cast<float>(n);
    out.rowwise() -= mean;
    scale = std::sqrt(out.squaredNorm() / static_cast<float>(n));
    out /= scale;
  };
  Eigen::MatrixX2f s, d;
  float s_src, s_dst;
  centred(src, s, s_src);
  centred(dst, d, s_dst);
  const Eigen::Matrix2d M = (s.transpose() * d).cast<double>();
  Eigen::JacobiSVD<Eigen::Matrix2d> svd(M, Eigen::ComputeFullU | Eigen::ComputeFullV);
  const Eigen::Matrix2d U = svd.matrixU(), V = svd.matrixV();
  const double det = (V * U.transpose()).determinant();
  Eigen::Matrix2d D = Eigen::Matrix2d::Identity();
  D(1, 1) = det > 0 ? 1.0 : -1.0;
  const Eigen::Matrix2f R = (V * D * U.transpose()).cast<float>();
  return (s_dst / s_src) * R;
}

}  // namespace pyfacelm
