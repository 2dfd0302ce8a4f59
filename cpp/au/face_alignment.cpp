// SPEC_AU §3.2-3.4: fresh PDM fit, similarity alignment to the scaled mean shape, triangle mask.
#include "au/face_alignment.hpp"

#include <algorithm>
#include <cmath>

#include "au/detail/kabsch.hpp"
#include "common/errors.hpp"
#include "image/image_ops.hpp"

namespace pyfacelm {

namespace {

// §3.3 step 2: jaw sides, nose, eye corners and lower lids - points that move little with
// expression.
constexpr int kRigid[24] = {1, 2, 3, 4, 12, 13, 14, 15, 27, 28, 29, 31, 32, 33, 34, 35, 36, 39, 40, 41, 42, 45, 46, 47};

// §3.4 step 3: is p inside triangle (a, b, c)? float arithmetic, boundary included.
// Pixel index range of a float bound, clamped before the conversion (far-away landmarks).
inline int clamp_index(float v, int size) {
  if (!(v > -1.f)) return -1;
  if (!(v < static_cast<float>(size))) return size;
  return static_cast<int>(v);
}

inline bool same_side(float px, float py, float ax, float ay, float bx, float by, float cx, float cy) {
  const float cp = (cx - bx) * (py - by) - (px - bx) * (cy - by);
  const float ca = (cx - bx) * (ay - by) - (ax - bx) * (cy - by);
  return cp * ca >= 0.f;
}

}  // namespace

std::pair<Eigen::Matrix<float, 6, 1>, Eigen::VectorXf> fit_au_params(const PDM<float>& pdm,
                                                                     const Eigen::VectorXf& landmarks) {
  return pdm.fit_landmarks(landmarks, Vec3<float>(0.f, 0.f, 0.f));
}

AlignedFace align_face(const ImageView& frame, const Eigen::VectorXf& landmarks, const PDM<float>& pdm,
                       const RowMatrix<int>& triangles, float sim_scale, int size, bool mask) {
  const int n = pdm.n_points();
  if (landmarks.size() != 2 * n)
    throw InvalidArgument("expected " + std::to_string(n) + " landmarks, got " + std::to_string(landmarks.size() / 2));
  if (n != 68) throw InvalidArgument("the AU alignment needs the 68-point shape model");
  AlignedFace out;
  out.size = size;
  std::tie(out.params_global, out.params_local) = fit_au_params(pdm, landmarks);

  // Reference: mean shape (x, y) times the float scale; the 24 rigid points of both shapes.
  std::vector<float> src(48), dst(48);
  for (int k = 0; k < 24; ++k) {
    const int i = kRigid[k];
    src[2 * k] = landmarks[i];
    src[2 * k + 1] = landmarks[i + n];
    dst[2 * k] = pdm.mean()[i] * sim_scale;
    dst[2 * k + 1] = pdm.mean()[i + n] * sim_scale;
  }
  const au_detail::Mat22f A = au_detail::align_shapes_with_scale_exact(src, dst);
  // §3.3 step 4: the PDM origin of the fit goes to the centre.
  const float tx = out.params_global[4], ty = out.params_global[5];
  // A small fixed-size float product: accumulated in float.
  const float Tx = A(0, 0) * tx + A(0, 1) * ty;
  const float Ty = A(1, 0) * tx + A(1, 1) * ty;
  const float ox = static_cast<float>(size / 2) - Tx, oy = static_cast<float>(size / 2) - Ty;
  out.warp = {A(0, 0), A(0, 1), ox, A(1, 0), A(1, 1), oy};
  for (float v : out.warp)
    if (!std::isfinite(v)) throw InvalidArgument("landmarks are degenerate: no similarity alignment exists");

  const double M[6] = {out.warp[0], out.warp[1], out.warp[2], out.warp[3], out.warp[4], out.warp[5]};
  out.pixels.assign(static_cast<std::size_t>(size) * size * 3, 0);
  if (frame.empty()) throw InvalidArgument("image is empty");
  warp_affine_bgr(frame, M, size, size, out.pixels.data());
  if (!mask) return out;

  // §3.4: landmarks in the aligned frame, jaw ends and brows lifted towards the forehead.
  std::vector<float> qx(static_cast<std::size_t>(n)), qy(qx.size());
  for (int i = 0; i < n; ++i) {
    qx[i] = static_cast<float>(double(A(0, 0)) * landmarks[i] + double(A(0, 1)) * landmarks[i + n]) + ox;
    qy[i] = static_cast<float>(double(A(1, 0)) * landmarks[i] + double(A(1, 1)) * landmarks[i + n]) + oy;
  }
  const double lift = (30.0 / 0.7) * static_cast<double>(sim_scale);
  for (int i : {0, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26})
    qy[i] = static_cast<float>(static_cast<double>(qy[i]) - lift);

  std::vector<std::uint8_t> inside(static_cast<std::size_t>(size) * size, 0);
  for (Eigen::Index t = 0; t < triangles.rows(); ++t) {
    const int a = triangles(t, 0), b = triangles(t, 1), c = triangles(t, 2);
    const float x1 = qx[a], y1 = qy[a], x2 = qx[b], y2 = qy[b], x3 = qx[c], y3 = qy[c];
    // Only pixels in the (inclusive) bounding box can be inside.
    const float lo_x = std::min({x1, x2, x3}), hi_x = std::max({x1, x2, x3});
    const float lo_y = std::min({y1, y2, y3}), hi_y = std::max({y1, y2, y3});
    const int c0 = std::max(0, clamp_index(std::ceil(lo_x), size)), c1 = std::min(size - 1, clamp_index(std::floor(hi_x), size));
    const int r0 = std::max(0, clamp_index(std::ceil(lo_y), size)), r1 = std::min(size - 1, clamp_index(std::floor(hi_y), size));
    for (int r = r0; r <= r1; ++r)
      for (int col = c0; col <= c1; ++col) {
        std::uint8_t& in = inside[static_cast<std::size_t>(r) * size + col];
        if (in) continue;
        const float px = static_cast<float>(col), py = static_cast<float>(r);
        if (same_side(px, py, x1, y1, x2, y2, x3, y3) && same_side(px, py, x2, y2, x1, y1, x3, y3) &&
            same_side(px, py, x3, y3, x1, y1, x2, y2))
          in = 1;
      }
  }
  for (std::size_t p = 0; p < inside.size(); ++p)
    if (!inside[p]) out.pixels[3 * p] = out.pixels[3 * p + 1] = out.pixels[3 * p + 2] = 0;
  return out;
}

}  // namespace pyfacelm
