// SPEC_AU §3.6-3.7: FHOG, cell size 8. Every float operation is written in the order the
// specification gives, because the reference values are bit-exact.
#include "au/fhog.hpp"

#include <algorithm>
#include <cmath>

#include "common/errors.hpp"

namespace pyfacelm {

namespace {

// The nine orientation unit vectors, at their 4-decimal float values (§3.6 step 4).
constexpr float kUx[9] = {1.0f, 0.9397f, 0.7660f, 0.5f, 0.1736f, -0.1736f, -0.5f, -0.7660f, -0.9397f};
constexpr float kUy[9] = {0.0f, 0.3420f, 0.6428f, 0.8660f, 0.9848f, 0.9848f, 0.8660f, 0.6428f, 0.3420f};

struct Gradient {
  int gx, gy, m;
};

inline Gradient channel_gradient(const std::uint8_t* p, std::ptrdiff_t row, int ch, int k) {
  const int gx = int(p[ch + k]) - int(p[-ch + k]);
  const int gy = int(p[row + k]) - int(p[-row + k]);
  return {gx, gy, gx * gx + gy * gy};
}

inline int orientation_bin(float gx, float gy) {
  float best = 0.f;
  int bin = 0;
  for (int o = 0; o < 9; ++o) {
    const float d = gx * kUx[o] + gy * kUy[o];
    if (d > best) {
      best = d;
      bin = o;
    } else if (-d > best) {
      best = -d;
      bin = o + 9;
    }
  }
  return bin;
}

}  // namespace

FHOG fhog(const std::uint8_t* pixels, int rows, int cols, int channels, int cell_size) {
  if (cell_size != 8) throw InvalidArgument("only cell size 8 is implemented");
  if (channels != 1 && channels != 3) throw InvalidArgument("FHOG needs 1 or 3 channels");
  FHOG out;
  const int cells_r = static_cast<int>(rows / double(cell_size) + 0.5);
  const int cells_c = static_cast<int>(cols / double(cell_size) + 0.5);
  if (cells_r < 3 || cells_c < 3) return out;
  out.rows = cells_r - 2;
  out.cols = cells_c - 2;
  const int hr = cells_r + 2, hc = cells_c + 2;
  std::vector<float> hist(static_cast<std::size_t>(hr) * hc * 18, 0.f);
  auto H = [&](int i, int j) { return hist.data() + (static_cast<std::size_t>(i) * hc + j) * 18; };

  const int last_y = std::min(cell_size * cells_r, rows) - 2;
  const int last_x = std::min(cell_size * cells_c, cols) - 2;
  const std::ptrdiff_t row_bytes = static_cast<std::ptrdiff_t>(cols) * channels;
  const float inv_cell = 1.0f / static_cast<float>(cell_size);
  for (int y = 1; y <= last_y; ++y) {
    const float yp = (static_cast<float>(y) + 0.5f) * inv_cell - 0.5f;
    const int iy = static_cast<int>(std::floor(yp));
    const float by = yp - static_cast<float>(iy), ay = 1.f - by;
    int x = 1;
    // The vectorised path covers 8 pixels at a time while a whole group fits.
    const int simd_end = [&] {
      int e = 1;
      while (e < (last_x + 1) - 7) e += 8;
      return e;
    }();
    for (; x <= last_x; ++x) {
      const bool simd = x < simd_end;
      const std::uint8_t* p = pixels + static_cast<std::ptrdiff_t>(y) * row_bytes + static_cast<std::ptrdiff_t>(x) * channels;
      Gradient g;
      if (channels == 1) {
        g = channel_gradient(p, row_bytes, 1, 0);
      } else {
        const Gradient b = channel_gradient(p, row_bytes, 3, 0);
        const Gradient gr = channel_gradient(p, row_bytes, 3, 1);
        const Gradient r = channel_gradient(p, row_bytes, 3, 2);
        if (simd) {
          // Ties go to the later channel: green over red, blue over either.
          g = r.m > gr.m ? r : gr;
          if (!(g.m > b.m)) g = b;
        } else {
          // Ties go to the earlier channel: red over green over blue.
          g = r;
          if (gr.m > g.m) g = gr;
          if (b.m > g.m) g = b;
        }
      }
      const float v = std::sqrt(static_cast<float>(g.m));
      const int bin = orientation_bin(static_cast<float>(g.gx), static_cast<float>(g.gy));
      const float xp = (static_cast<float>(x) + 0.5f) * inv_cell - 0.5f;
      const int ix = static_cast<int>(std::floor(xp));
      const float bx = xp - static_cast<float>(ix), ax = 1.f - bx;
      float w00, w10, w01, w11;
      if (simd) {
        w00 = ay * (ax * v);
        w10 = by * (ax * v);
        w01 = ay * (bx * v);
        w11 = by * (bx * v);
      } else {
        w00 = (ay * ax) * v;
        w10 = (by * ax) * v;
        w01 = (ay * bx) * v;
        w11 = (by * bx) * v;
      }
      H(iy + 1, ix + 1)[bin] += w00;
      H(iy + 2, ix + 1)[bin] += w10;
      H(iy + 1, ix + 2)[bin] += w01;
      H(iy + 2, ix + 2)[bin] += w11;
    }
  }

  // Cell energies of the grid cells (i, j), 0 <= i < cells_r (histogram index + 1).
  std::vector<float> E(static_cast<std::size_t>(cells_r) * cells_c, 0.f);
  for (int i = 0; i < cells_r; ++i)
    for (int j = 0; j < cells_c; ++j) {
      const float* h = H(i + 1, j + 1);
      float e = 0.f;
      for (int o = 0; o < 9; ++o) {
        const float s = h[o] + h[o + 9];
        e += s * s;
      }
      E[static_cast<std::size_t>(i) * cells_c + j] = e;
    }
  auto En = [&](int i, int j) { return E[static_cast<std::size_t>(i) * cells_c + j]; };

  out.features.assign(static_cast<std::size_t>(out.rows) * out.cols * 31, 0.f);
  const float k02 = 0.2f, k01 = 0.1f, k_tex = 0.4714f, eps = 0.0001f;
  for (int r = 0; r < out.rows; ++r)
    for (int c = 0; c < out.cols; ++c) {
      const int R = r + 1, C = c + 1;
      float N[4];
      N[0] = ((En(R, C) + En(R, C + 1)) + En(R + 1, C)) + En(R + 1, C + 1);
      N[1] = ((En(R - 1, C) + En(R - 1, C + 1)) + En(R, C)) + En(R, C + 1);
      N[2] = ((En(R, C - 1) + En(R, C)) + En(R + 1, C - 1)) + En(R + 1, C);
      N[3] = ((En(R - 1, C - 1) + En(R - 1, C)) + En(R, C - 1)) + En(R, C);
      float nu[4], nn[4];
      for (int l = 0; l < 4; ++l) {
        N[l] = N[l] + eps;
        nu[l] = k02 * std::sqrt(N[l]);
        nn[l] = k01 / nu[l];
      }
      const float* h = H(R + 1, C + 1);
      float* F = out.features.data() + (static_cast<std::size_t>(r) * out.cols + c) * 31;
      // Lane sum in the order of OpenFace's SSE3 build: (l0 + l2) + (l1 + l3).
      auto lanes = [&](float value) {
        float a[4];
        for (int l = 0; l < 4; ++l) a[l] = std::min(value, nu[l]) * nn[l];
        return (a[0] + a[2]) + (a[1] + a[3]);
      };
      for (int k = 0; k < 18; ++k) F[k] = lanes(h[k]);
      for (int o = 0; o < 9; ++o) F[18 + o] = lanes(h[o] + h[o + 9]);
      for (int l = 0; l < 4; ++l) {
        float tau = 0.f;
        for (int o = 0; o < 18; o += 3) {
          const float a0 = std::min(h[o], nu[l]) * nn[l];
          const float a1 = std::min(h[o + 1], nu[l]) * nn[l];
          const float a2 = std::min(h[o + 2], nu[l]) * nn[l];
          tau = tau + ((a0 + a1) + a2);
        }
        F[27 + l] = tau * k_tex;
      }
    }
  return out;
}

}  // namespace pyfacelm
