// SPEC_AU §3.3 step 3 (see detail/kabsch.hpp).
#include <cfloat>
#include <cmath>
#include <utility>

#include "au/detail/kabsch.hpp"

namespace pyfacelm::au_detail {

namespace {

// Centre the points on their mean (mean in double, stored as float) and normalise by the
// RMS distance: float squares summed in double, float result, multiplied by the float
// reciprocal.
float centre_and_normalise(std::vector<float>& xy) {
  const std::size_t n = xy.size() / 2;
  double sx = 0, sy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sx += xy[2 * i];
    sy += xy[2 * i + 1];
  }
  const float mx = static_cast<float>(sx / static_cast<double>(n));
  const float my = static_cast<float>(sy / static_cast<double>(n));
  double ss = 0;
  for (std::size_t i = 0; i < n; ++i) {
    xy[2 * i] -= mx;
    xy[2 * i + 1] -= my;
    const float x2 = xy[2 * i] * xy[2 * i], y2 = xy[2 * i + 1] * xy[2 * i + 1];
    ss += static_cast<double>(x2) + static_cast<double>(y2);
  }
  const float s = static_cast<float>(std::sqrt(ss / static_cast<double>(n)));
  const float r = 1.0f / s;
  for (float& v : xy) v *= r;
  return s;
}

// Float 2x2 SVD M = U diag(w) V^T by one-sided Jacobi rotations of the columns of M
// (rows of M^T), squared norms in double, columns ordered by decreasing singular value.
void svd2(const Mat22f& M, Mat22f& U, Mat22f& Vt) {
  float At[2][2] = {{M(0, 0), M(1, 0)}, {M(0, 1), M(1, 1)}};
  float V[2][2] = {{1.f, 0.f}, {0.f, 1.f}};
  double W[2];
  for (int i = 0; i < 2; ++i) W[i] = double(At[i][0]) * At[i][0] + double(At[i][1]) * At[i][1];
  const float eps = FLT_EPSILON * 2;
  for (int iter = 0; iter < 30; ++iter) {
    double a = W[0], b = W[1];
    double p = double(At[0][0]) * At[1][0] + double(At[0][1]) * At[1][1];
    if (std::abs(p) <= eps * std::sqrt(a * b)) break;
    p *= 2;
    const double beta = a - b, gamma = std::hypot(p, beta);
    float c, s;
    if (beta < 0) {
      const double delta = (gamma - beta) * 0.5;
      s = static_cast<float>(std::sqrt(delta / gamma));
      c = static_cast<float>(p / (gamma * s * 2));
    } else {
      c = static_cast<float>(std::sqrt((gamma + beta) / (gamma * 2)));
      s = static_cast<float>(p / (gamma * c * 2));
    }
    a = b = 0;
    for (int k = 0; k < 2; ++k) {
      const float t0 = c * At[0][k] + s * At[1][k];
      const float t1 = -s * At[0][k] + c * At[1][k];
      At[0][k] = t0;
      At[1][k] = t1;
      a += double(t0) * t0;
      b += double(t1) * t1;
    }
    W[0] = a;
    W[1] = b;
    for (int k = 0; k < 2; ++k) {
      const float t0 = c * V[0][k] + s * V[1][k];
      const float t1 = -s * V[0][k] + c * V[1][k];
      V[0][k] = t0;
      V[1][k] = t1;
    }
  }
  for (int i = 0; i < 2; ++i) W[i] = std::sqrt(double(At[i][0]) * At[i][0] + double(At[i][1]) * At[i][1]);
  if (W[0] < W[1]) {
    std::swap(W[0], W[1]);
    for (int k = 0; k < 2; ++k) {
      std::swap(At[0][k], At[1][k]);
      std::swap(V[0][k], V[1][k]);
    }
  }
  for (int i = 0; i < 2; ++i) {
    const float scale = W[i] > FLT_MIN ? static_cast<float>(1.0 / W[i]) : 0.f;
    At[i][0] *= scale;
    At[i][1] *= scale;
  }
  // U's columns are the normalised rows of At; V^T's rows are the accumulated rotations.
  U = Mat22f{{At[0][0], At[1][0], At[0][1], At[1][1]}};
  Vt = Mat22f{{V[0][0], V[0][1], V[1][0], V[1][1]}};
}

// Float matrix product with the sum of products in double (as OpenCV's small GEMM).
Mat22f mul(const Mat22f& A, const Mat22f& B) {
  Mat22f C;
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 2; ++c)
      C.a[r * 2 + c] = static_cast<float>(double(A(r, 0)) * B(0, c) + double(A(r, 1)) * B(1, c));
  return C;
}

Mat22f transpose(const Mat22f& A) { return Mat22f{{A(0, 0), A(1, 0), A(0, 1), A(1, 1)}}; }

}  // namespace

Mat22f align_shapes_with_scale_exact(const std::vector<float>& src_xy, const std::vector<float>& dst_xy) {
  std::vector<float> s = src_xy, d = dst_xy;
  const float s_src = centre_and_normalise(s);
  const float s_dst = centre_and_normalise(d);
  const std::size_t n = s.size() / 2;
  // M = s^T d (2 x 2), products summed in double.
  double m[4] = {0, 0, 0, 0};
  for (std::size_t i = 0; i < n; ++i) {
    m[0] += double(s[2 * i]) * d[2 * i];
    m[1] += double(s[2 * i]) * d[2 * i + 1];
    m[2] += double(s[2 * i + 1]) * d[2 * i];
    m[3] += double(s[2 * i + 1]) * d[2 * i + 1];
  }
  const Mat22f M{{static_cast<float>(m[0]), static_cast<float>(m[1]), static_cast<float>(m[2]), static_cast<float>(m[3])}};
  Mat22f U, Vt;
  svd2(M, U, Vt);
  const Mat22f V = transpose(Vt), Ut = transpose(U);
  const Mat22f VUt = mul(V, Ut);
  const double det = double(VUt(0, 0)) * VUt(1, 1) - double(VUt(0, 1)) * VUt(1, 0);
  Mat22f corr{{1.f, 0.f, 0.f, det > 0 ? 1.f : -1.f}};
  const Mat22f R = mul(mul(V, corr), Ut);
  const float k = s_dst / s_src;
  Mat22f A;
  for (int i = 0; i < 4; ++i) A.a[i] = k * R.a[i];
  return A;
}

}  // namespace pyfacelm::au_detail
