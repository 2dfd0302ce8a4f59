// SPEC §3.3, §12.3: warpAffine / remap with OpenCV's fixed-point positions and
// 32x32 table of float bilinear weights, reimplemented.
#include "pyfacelm/image_ops.hpp"

#include <array>
#include <cmath>
#include <limits>

namespace pyfacelm {

namespace {

constexpr int kInterBits = 5;
constexpr int kTabSize = 1 << kInterBits;  // 32 sub-pixel steps
constexpr int kABBits = 10;
constexpr int kABScale = 1 << kABBits;
constexpr int kRoundDelta = kABScale / kTabSize / 2;

struct WeightTable {
  std::array<float, kTabSize * kTabSize * 4> w;
  WeightTable() {
    float t[kTabSize][2];
    const float scale = 1.f / kTabSize;
    for (int i = 0; i < kTabSize; ++i) {
      float x = static_cast<float>(i) * scale;
      t[i][0] = 1.f - x;
      t[i][1] = x;
    }
    for (int i = 0; i < kTabSize; ++i)
      for (int j = 0; j < kTabSize; ++j)
        for (int k1 = 0; k1 < 2; ++k1)
          for (int k2 = 0; k2 < 2; ++k2) w[(i * kTabSize + j) * 4 + k1 * 2 + k2] = t[i][k1] * t[j][k2];
  }
};

const WeightTable& table() {
  static const WeightTable t;  // immutable after construction; thread-safe static init
  return t;
}

// Round half to even, saturated to int, as OpenCV's saturate_cast<int>(double).
inline int round_sat(double v) {
  if (!(v > std::numeric_limits<int>::min())) return std::numeric_limits<int>::min();
  if (!(v < std::numeric_limits<int>::max())) return std::numeric_limits<int>::max();
  return static_cast<int>(std::nearbyint(v));
}

template <class Pixel>
inline float sample(const Pixel* S, int rows, int cols, std::ptrdiff_t stride, int sx, int sy, const float* w) {
  if (sx >= 0 && sx < cols - 1 && sy >= 0 && sy < rows - 1) {
    const Pixel* p = S + sy * stride + sx;
    return float(p[0]) * w[0] + float(p[1]) * w[1] + float(p[stride]) * w[2] + float(p[stride + 1]) * w[3];
  }
  if (sx >= cols || sx + 1 < 0 || sy >= rows || sy + 1 < 0) return 0.f;
  auto at = [&](int x, int y) -> float {
    return (x >= 0 && x < cols && y >= 0 && y < rows) ? float(S[y * stride + x]) : 0.f;
  };
  float v0 = at(sx, sy), v1 = at(sx + 1, sy), v2 = at(sx, sy + 1), v3 = at(sx + 1, sy + 1);
  return v0 * w[0] + v1 * w[1] + v2 * w[2] + v3 * w[3];
}

}  // namespace

const float* bilinear_weights(int idx) { return table().w.data() + idx * 4; }

void warp_affine_bilinear(const GrayImage& src, const double M[6], int dst_rows, int dst_cols, float* dst) {
  const float* W = table().w.data();
  const std::uint8_t* S = src.pixels.data();
  for (int y = 0; y < dst_rows; ++y) {
    const int X0 = round_sat((M[1] * y + M[2]) * kABScale) + kRoundDelta;
    const int Y0 = round_sat((M[4] * y + M[5]) * kABScale) + kRoundDelta;
    for (int x = 0; x < dst_cols; ++x) {
      const int X = (X0 + round_sat(M[0] * x * kABScale)) >> (kABBits - kInterBits);
      const int Y = (Y0 + round_sat(M[3] * x * kABScale)) >> (kABBits - kInterBits);
      const int idx = (Y & (kTabSize - 1)) * kTabSize + (X & (kTabSize - 1));
      dst[y * dst_cols + x] = sample(S, src.rows, src.cols, src.cols, X >> kInterBits, Y >> kInterBits, W + idx * 4);
    }
  }
}

void remap_bilinear(const float* src, int rows, int cols, const float* map_x, const float* map_y, int n, float* dst) {
  const float* W = table().w.data();
  for (int i = 0; i < n; ++i) {
    const int X = round_sat(static_cast<double>(map_x[i]) * kTabSize);
    const int Y = round_sat(static_cast<double>(map_y[i]) * kTabSize);
    const int idx = (Y & (kTabSize - 1)) * kTabSize + (X & (kTabSize - 1));
    dst[i] = sample(src, rows, cols, cols, X >> kInterBits, Y >> kInterBits, W + idx * 4);
  }
}

}  // namespace pyfacelm
