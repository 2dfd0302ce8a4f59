// SPEC §3.3, §12.3: warpAffine / remap with OpenCV's fixed-point positions and
// 32x32 table of float bilinear weights, reimplemented.
#include "image/image_ops.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

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
  // 64-bit fixed point: far-away positions (absurd but finite boxes) saturate instead of
  // overflowing; any such position samples the constant border anyway.
  auto fixed = [](double v) -> long long {
    if (!(v > -1e15)) return static_cast<long long>(-1e15);
    if (!(v < 1e15)) return static_cast<long long>(1e15);
    return static_cast<long long>(std::nearbyint(v));
  };
  auto to_int = [](long long v) {
    return static_cast<int>(std::max<long long>(-(1LL << 30), std::min<long long>(1LL << 30, v)));
  };
  // The column terms are the same on every row: rounded once per call, as OpenCV does.
  std::vector<long long> adx(static_cast<std::size_t>(dst_cols > 0 ? dst_cols : 0)), ady(adx.size());
  for (int x = 0; x < dst_cols; ++x) {
    adx[static_cast<std::size_t>(x)] = fixed(M[0] * x * kABScale);
    ady[static_cast<std::size_t>(x)] = fixed(M[3] * x * kABScale);
  }
  for (int y = 0; y < dst_rows; ++y) {
    const long long X0 = fixed((M[1] * y + M[2]) * kABScale) + kRoundDelta;
    const long long Y0 = fixed((M[4] * y + M[5]) * kABScale) + kRoundDelta;
    for (int x = 0; x < dst_cols; ++x) {
      const long long X = (X0 + adx[static_cast<std::size_t>(x)]) >> (kABBits - kInterBits);
      const long long Y = (Y0 + ady[static_cast<std::size_t>(x)]) >> (kABBits - kInterBits);
      const int idx = static_cast<int>((Y & (kTabSize - 1)) * kTabSize + (X & (kTabSize - 1)));
      dst[y * dst_cols + x] =
          sample(S, src.rows, src.cols, src.cols, to_int(X >> kInterBits), to_int(Y >> kInterBits), W + idx * 4);
    }
  }
}

void warp_affine_bgr(const ImageView& src, const double M_in[6], int dst_rows, int dst_cols, std::uint8_t* dst) {
  // Forward map -> inverse map, in OpenCV's order of operations (reciprocal of the determinant).
  double M[6] = {M_in[0], M_in[1], M_in[2], M_in[3], M_in[4], M_in[5]};
  double D = M[0] * M[4] - M[1] * M[3];
  D = D != 0.0 ? 1.0 / D : 0.0;
  const double A11 = M[4] * D, A22 = M[0] * D;
  M[0] = A11;
  M[1] *= -D;
  M[3] *= -D;
  M[4] = A22;
  const double b1 = -M[0] * M[2] - M[1] * M[5];
  const double b2 = -M[3] * M[2] - M[4] * M[5];
  M[2] = b1;
  M[5] = b2;
  auto fixed = [](double v) -> long long {
    if (!(v > -1e15)) return static_cast<long long>(-1e15);
    if (!(v < 1e15)) return static_cast<long long>(1e15);
    return static_cast<long long>(std::nearbyint(v));
  };
  // Memory channel of output channel k (B, G, R).
  int ch[3] = {0, 1, 2};
  if (src.channels == 1) ch[0] = ch[1] = ch[2] = 0;
  else if (src.order == ColorOrder::RGB) ch[0] = 2, ch[2] = 0;
  const int rows = src.rows, cols = src.cols;
  std::vector<long long> adx(static_cast<std::size_t>(dst_cols)), ady(adx.size());
  for (int x = 0; x < dst_cols; ++x) {
    adx[static_cast<std::size_t>(x)] = fixed(M[0] * x * kABScale);
    ady[static_cast<std::size_t>(x)] = fixed(M[3] * x * kABScale);
  }
  for (int y = 0; y < dst_rows; ++y) {
    const long long X0 = fixed((M[1] * y + M[2]) * kABScale) + kRoundDelta;
    const long long Y0 = fixed((M[4] * y + M[5]) * kABScale) + kRoundDelta;
    std::uint8_t* out = dst + static_cast<std::ptrdiff_t>(y) * dst_cols * 3;
    for (int x = 0; x < dst_cols; ++x, out += 3) {
      const long long X = (X0 + adx[static_cast<std::size_t>(x)]) >> (kABBits - kInterBits);
      const long long Y = (Y0 + ady[static_cast<std::size_t>(x)]) >> (kABBits - kInterBits);
      const int fx = static_cast<int>(X & (kTabSize - 1)), fy = static_cast<int>(Y & (kTabSize - 1));
      const long long sx = X >> kInterBits, sy = Y >> kInterBits;
      if (sx >= cols || sx + 1 < 0 || sy >= rows || sy + 1 < 0) {
        out[0] = out[1] = out[2] = 0;
        continue;
      }
      // Integer weights: OpenCV's bilinear table scaled by 2^15 is exact for these fractions.
      const int w[4] = {(kTabSize - fy) * (kTabSize - fx) * 32, (kTabSize - fy) * fx * 32, fy * (kTabSize - fx) * 32,
                        fy * fx * 32};
      for (int c = 0; c < 3; ++c) {
        int sum = 0;
        for (int k = 0; k < 4; ++k) {
          const long long xx = sx + (k & 1), yy = sy + (k >> 1);
          if (xx >= 0 && xx < cols && yy >= 0 && yy < rows)
            sum += src.at(static_cast<int>(yy), static_cast<int>(xx), ch[c]) * w[k];
        }
        const int r = (sum + (1 << 14)) >> 15;
        out[c] = static_cast<std::uint8_t>(r < 0 ? 0 : (r > 255 ? 255 : r));
      }
    }
  }
}

void remap_bilinear(const float* src, int rows, int cols, const float* map_x, const float* map_y, int n, float* dst) {
  const float* W = table().w.data();
  auto fixed = [](double v) -> long long {
    if (!(v > -1e15)) return static_cast<long long>(-1e15);
    if (!(v < 1e15)) return static_cast<long long>(1e15);
    return static_cast<long long>(std::nearbyint(v));
  };
  for (int i = 0; i < n; ++i) {
    const long long X = fixed(static_cast<double>(map_x[i]) * kTabSize);
    const long long Y = fixed(static_cast<double>(map_y[i]) * kTabSize);
    const int idx = static_cast<int>((Y & (kTabSize - 1)) * kTabSize + (X & (kTabSize - 1)));
    const int sx = static_cast<int>(std::max<long long>(-(1LL << 30), std::min<long long>(1LL << 30, X >> kInterBits)));
    const int sy = static_cast<int>(std::max<long long>(-(1LL << 30), std::min<long long>(1LL << 30, Y >> kInterBits)));
    dst[i] = sample(src, rows, cols, cols, sx, sy, W + idx * 4);
  }
}

namespace {

// Source index and the two weights of each destination coordinate along one axis.
struct LinearAxis {
  std::vector<int> index;
  std::vector<float> w0, w1;
  LinearAxis(int src, int dst) : index(static_cast<std::size_t>(dst)), w0(index.size()), w1(index.size()) {
    const double scale = 1.0 / (static_cast<double>(dst) / src);
    for (int d = 0; d < dst; ++d) {
      float f = static_cast<float>((d + 0.5) * scale - 0.5);
      int s = static_cast<int>(std::floor(f));
      f -= static_cast<float>(s);
      if (s < 0) {
        f = 0.f;
        s = 0;
      }
      if (s >= src - 1) {
        f = 0.f;
        s = src - 1;
      }
      index[static_cast<std::size_t>(d)] = s;
      w0[static_cast<std::size_t>(d)] = 1.f - f;
      w1[static_cast<std::size_t>(d)] = f;
    }
  }
};

}  // namespace

namespace {

// source_row(r, scratch) returns a pointer to source row r (src_cols floats), possibly
// written into scratch: one implementation for float planes and for rows produced on demand.
template <class SourceRow>
void resize_linear_impl(const SourceRow& source_row, int src_rows, int src_cols, float* dst, int dst_rows,
                        int dst_cols) {
  const LinearAxis ax(src_cols, dst_cols), ay(src_rows, dst_rows);
  // Horizontal pass over every source row that the vertical pass needs.
  std::vector<float> rows(static_cast<std::size_t>(src_rows) * dst_cols);
  std::vector<char> done(static_cast<std::size_t>(src_rows), 0);
  std::vector<float> scratch;
  auto hrow = [&](int r) -> const float* {
    float* out = &rows[static_cast<std::size_t>(r) * dst_cols];
    if (!done[static_cast<std::size_t>(r)]) {
      const float* S = source_row(r, scratch);
      for (int x = 0; x < dst_cols; ++x) {
        const int sx = ax.index[static_cast<std::size_t>(x)];
        out[x] = sx + 1 < src_cols ? S[sx] * ax.w0[static_cast<std::size_t>(x)] + S[sx + 1] * ax.w1[static_cast<std::size_t>(x)]
                                   : S[sx] * ax.w0[static_cast<std::size_t>(x)];
      }
      done[static_cast<std::size_t>(r)] = 1;
    }
    return out;
  };
  for (int y = 0; y < dst_rows; ++y) {
    const int sy = ay.index[static_cast<std::size_t>(y)];
    const float b0 = ay.w0[static_cast<std::size_t>(y)], b1 = ay.w1[static_cast<std::size_t>(y)];
    const float* r0 = hrow(sy);
    const float* r1 = hrow(std::min(sy + 1, src_rows - 1));
    float* D = dst + static_cast<std::size_t>(y) * dst_cols;
    for (int x = 0; x < dst_cols; ++x) D[x] = r0[x] * b0 + r1[x] * b1;
  }
}

}  // namespace

void resize_linear(const float* src, int src_rows, int src_cols, float* dst, int dst_rows, int dst_cols) {
  resize_linear_impl([&](int r, std::vector<float>&) { return src + static_cast<std::size_t>(r) * src_cols; },
                     src_rows, src_cols, dst, dst_rows, dst_cols);
}

void resize_linear_u8(const ImageView& src, int top, int left, int src_rows, int src_cols, const int* channels, int n,
                      float* const* dst, int dst_rows, int dst_cols) {
  const LinearAxis ax(src_cols, dst_cols), ay(src_rows, dst_rows);
  // Byte offsets of the two window columns each output column weighs; -1 for a column outside
  // the view (value 0). The second is unused at the window's right edge, where the weight is
  // w0 alone, as in resize_linear_impl.
  constexpr std::ptrdiff_t kOutside = -1;
  auto col_offset = [&](int wc) {
    const int c = left + wc;
    return c >= 0 && c < src.cols ? c * src.col_stride : kOutside;
  };
  const std::size_t w = static_cast<std::size_t>(dst_cols);
  std::vector<std::ptrdiff_t> off0(w), off1(w);
  std::vector<char> two(w);
  bool all_inside = true;
  for (std::size_t x = 0; x < w; ++x) {
    const int sx = ax.index[x];
    off0[x] = col_offset(sx);
    two[x] = sx + 1 < src_cols;
    off1[x] = two[x] ? col_offset(sx + 1) : kOutside;
    all_inside = all_inside && off0[x] != kOutside && (!two[x] || off1[x] != kOutside);
  }
  // Where only one column is weighed, w1 is 0 and a * w0 + b * 0 == a * w0 exactly (values and
  // weights are finite and >= 0), so with every column inside the view one branch-free
  // expression serves all columns (b read from the same column).
  if (all_inside)
    for (std::size_t x = 0; x < w; ++x)
      if (!two[x]) off1[x] = off0[x];
  // Horizontal pass of one window row into `out`: the same float expressions as
  // resize_linear_impl (8-bit values convert to float exactly; padding is 0.f).
  auto hpass = [&](int wr, int ch, float* out) {
    const int r = top + wr;
    if (r < 0 || r >= src.rows) {
      std::fill(out, out + w, 0.f);  // 0 * w0 + 0 * w1 with finite weights >= 0
      return;
    }
    const std::uint8_t* S = src.data + r * src.row_stride + ch * src.channel_stride;
    if (all_inside) {
      for (std::size_t x = 0; x < w; ++x)
        out[x] = static_cast<float>(S[off0[x]]) * ax.w0[x] + static_cast<float>(S[off1[x]]) * ax.w1[x];
      return;
    }
    for (std::size_t x = 0; x < w; ++x) {
      const float a = off0[x] == kOutside ? 0.f : static_cast<float>(S[off0[x]]);
      const float b = off1[x] == kOutside ? 0.f : static_cast<float>(S[off1[x]]);
      out[x] = two[x] ? a * ax.w0[x] + b * ax.w1[x] : a * ax.w0[x];
    }
  };
  // The vertical pass asks for window rows in non-decreasing order, so two cached rows per
  // channel suffice.
  std::vector<float> lo(w * static_cast<std::size_t>(n)), hi(lo.size());
  int lo_row = -1, hi_row = -1;
  for (int y = 0; y < dst_rows; ++y) {
    const int r0 = ay.index[static_cast<std::size_t>(y)];
    const int r1 = std::min(r0 + 1, src_rows - 1);
    if (r0 == hi_row) {
      std::swap(lo, hi);
      std::swap(lo_row, hi_row);
    }
    if (lo_row != r0) {
      for (int k = 0; k < n; ++k) hpass(r0, channels[k], lo.data() + w * static_cast<std::size_t>(k));
      lo_row = r0;
    }
    if (hi_row != r1) {
      for (int k = 0; k < n; ++k) hpass(r1, channels[k], hi.data() + w * static_cast<std::size_t>(k));
      hi_row = r1;
    }
    const float b0 = ay.w0[static_cast<std::size_t>(y)], b1 = ay.w1[static_cast<std::size_t>(y)];
    for (int k = 0; k < n; ++k) {
      const float* a = lo.data() + w * static_cast<std::size_t>(k);
      const float* b = hi.data() + w * static_cast<std::size_t>(k);
      float* D = dst[k] + static_cast<std::size_t>(y) * dst_cols;
      for (std::size_t x = 0; x < w; ++x) D[x] = a[x] * b0 + b[x] * b1;
    }
  }
}

}  // namespace pyfacelm
