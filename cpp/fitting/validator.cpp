// SPEC §6: view choice, crop, piece-wise affine warp (remap semantics),
// normalisation, CNN, bin -> certainty.
#include "fitting/validator.hpp"

#include <cmath>
#include <limits>

#include "detection/cnn.hpp"
#include "common/errors.hpp"
#include "image/image_ops.hpp"

namespace pyfacelm {

Validator Validator::load(const std::string& path) {
  Validator v;
  v.file_ = read_validator(path);
  return v;
}

double Validator::check(const Eigen::Vector3f& rot, const GrayImage& image, const Eigen::VectorXf& lm) const {
  // 1. View nearest in orientation (Euclidean, first wins).
  int id = 0;
  double best = std::numeric_limits<double>::infinity();
  for (int v = 0; v < n_views(); ++v) {
    const double d = (rot.cast<double>() - file_.views[v].orientation).norm();
    if (d < best) {
      best = d;
      id = v;
    }
  }
  const ValidatorView& view = file_.views[id];
  const PiecewiseAffineWarp& paw = view.paw;
  const int n = static_cast<int>(lm.size() / 2);
  if (paw.destination.size() != lm.size()) throw InvalidArgument("validator expects a different number of landmarks");

  // 2. Crop: landmark box grown by 3 px, truncated, clipped to the image.
  const float min_xf = lm.head(n).minCoeff(), max_xf = lm.head(n).maxCoeff();
  const float min_yf = lm.tail(n).minCoeff(), max_yf = lm.tail(n).maxCoeff();
  if (!std::isfinite(min_xf) || !std::isfinite(max_xf) || !std::isfinite(min_yf) || !std::isfinite(max_yf)) return 0.0;
  auto trunc_clip = [](double v, int hi) {
    v = std::max(-1e9, std::min(1e9, v));
    return std::max(0, std::min(hi, static_cast<int>(v)));
  };
  const int x0 = trunc_clip(min_xf - 3.0, image.cols - 1), x1 = trunc_clip(max_xf + 3.0, image.cols - 1);
  const int y0 = trunc_clip(min_yf - 3.0, image.rows - 1), y1 = trunc_clip(max_yf + 3.0, image.rows - 1);
  if (x1 - x0 <= 1 || y1 - y0 <= 1) return 0.0;
  const int rw = x1 - x0, rh = y1 - y0;
  std::vector<float> roi(static_cast<std::size_t>(rw) * rh);
  for (int y = 0; y < rh; ++y)
    for (int x = 0; x < rw; ++x) roi[static_cast<std::size_t>(y) * rw + x] = image.at(y0 + y, x0 + x);
  Eigen::VectorXf src = lm;
  src.head(n).array() -= static_cast<float>(x0);
  src.tail(n).array() -= static_cast<float>(y0);

  // 3. Piece-wise affine warp into the canonical frame; unmasked pixels map to (-1, -1).
  const int H = static_cast<int>(paw.mask.rows()), W = static_cast<int>(paw.mask.cols());
  const int T = static_cast<int>(paw.triangulation.rows());
  Eigen::Matrix<float, Eigen::Dynamic, 6, Eigen::RowMajor> coef(T, 6);
  for (int t = 0; t < T; ++t) {
    const int a = paw.triangulation(t, 0), b = paw.triangulation(t, 1), c = paw.triangulation(t, 2);
    const float xa = src[a], ya = src[a + n], xb = src[b], yb = src[b + n], xc = src[c], yc = src[c + n];
    const float* al = &paw.alpha(t, 0);
    const float* be = &paw.beta(t, 0);
    coef(t, 0) = xa + (xb - xa) * al[0] + (xc - xa) * be[0];
    coef(t, 1) = (xb - xa) * al[1] + (xc - xa) * be[1];
    coef(t, 2) = (xb - xa) * al[2] + (xc - xa) * be[2];
    coef(t, 3) = ya + (yb - ya) * al[0] + (yc - ya) * be[0];
    coef(t, 4) = (yb - ya) * al[1] + (yc - ya) * be[1];
    coef(t, 5) = (yb - ya) * al[2] + (yc - ya) * be[2];
  }
  std::vector<float> mx(static_cast<std::size_t>(H) * W, -1.f), my(static_cast<std::size_t>(H) * W, -1.f);
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      if (paw.mask(y, x) == 0) continue;
      const int t = paw.triangle_id(y, x);
      const float xi = static_cast<float>(x + paw.min_x), yi = static_cast<float>(y + paw.min_y);
      mx[static_cast<std::size_t>(y) * W + x] = coef(t, 0) + coef(t, 1) * xi + coef(t, 2) * yi;
      my[static_cast<std::size_t>(y) * W + x] = coef(t, 3) + coef(t, 4) * xi + coef(t, 5) * yi;
    }
  std::vector<float> warped(static_cast<std::size_t>(H) * W);
  remap_bilinear(roi.data(), rh, rw, mx.data(), my.data(), H * W, warped.data());

  // 4-5. Masked pixels column-major, standardised, then the file's per-view normalisation.
  std::vector<float> feat;
  feat.reserve(static_cast<std::size_t>(paw.n_pixels));
  for (int x = 0; x < W; ++x)
    for (int y = 0; y < H; ++y)
      if (paw.mask(y, x) != 0) feat.push_back(warped[static_cast<std::size_t>(y) * W + x]);
  double sum = 0, sum2 = 0;
  for (float v : feat) sum += v;
  const double mean = sum / static_cast<double>(feat.size());
  for (float v : feat) sum2 += (v - mean) * (v - mean);
  double sd = std::sqrt(sum2 / static_cast<double>(feat.size()));
  if (sd == 0) sd = 1;
  Tensor input(1, H, W);
  std::size_t k = 0;
  for (int x = 0; x < W; ++x)
    for (int y = 0; y < H; ++y)
      if (paw.mask(y, x) != 0) {
        const float v = static_cast<float>((feat[k] - mean) / sd);
        input.at(0, y, x) = (v - view.mean[static_cast<Eigen::Index>(k)]) / view.std[static_cast<Eigen::Index>(k)];
        ++k;
      }

  // 6-7. CNN; the first maximal bin gives the certainty.
  Tensor out = cnn_forward(view.cnn, std::move(input));
  const int bins = static_cast<int>(out.data.size());
  int idx = 0;
  for (int i = 1; i < bins; ++i)
    if (out.data[i] > out.data[idx]) idx = i;
  const double step = 2.0 / bins;
  const double u = -1.0 + step / 2.0 + idx * step;
  return static_cast<float>(0.5 * (1.0 - u));
}

}  // namespace pyfacelm
