// SPEC §7.3: valid convolution (cross-correlation), max-pooling with OpenFace's
// rounding of the output size, PReLU/ReLU/sigmoid, and fully connected layers
// that flatten maps column-major.
#include "detection/cnn.hpp"

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>

#include "common/errors.hpp"
#include "detection/detail/simd.hpp"

namespace pyfacelm {

namespace {

// Output positions per im2col block: the block matrix stays near 2 MB whatever the image size
// (MTCNN's first pyramid level of a 10-megapixel photo would otherwise need a 43 MB matrix).
constexpr std::size_t kIm2colFloats = std::size_t{1} << 19;

using RowMajorF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

void prelu(const CNNLayer& L, Tensor& x) {
  const int hw = x.h * x.w;
  for (int c = 0; c < x.c; ++c) {
    const float s = L.slopes[c];
    float* v = x.data.data() + static_cast<std::size_t>(c) * hw;
    // Branch-free so that it vectorises: v >= 0 -> v, v < 0 -> s * v.
    for (int i = 0; i < hw; ++i) v[i] = std::max(v[i], 0.f) + s * std::min(v[i], 0.f);
  }
}

// Convolution, bias and (when `act` is a PReLU layer) the activation. The AVX2 kernel reads
// the input in place and applies the PReLU as it stores; the portable path is im2col + GEMM.
Tensor conv(const CNNLayer& L, const Tensor& in, GemmKernel kernel, const CNNLayer* act) {
  if (in.c != L.n_in) throw InvalidArgument("convolution input has the wrong number of maps");
  const int oh = in.h - L.kh + 1, ow = in.w - L.kw + 1;
  if (oh < 1 || ow < 1) throw InvalidArgument("image too small for the network");
  if (kernel == GemmKernel::AVX2) {
    Tensor out(L.n_out, oh, ow);
    simd::conv_avx2(in.c, in.h, in.w, in.data.data(), L.n_out, L.kh, L.kw, L.conv_matrix.data(), L.conv_bias.data(),
                    act != nullptr ? act->slopes.data() : nullptr, out.data.data());
    return out;
  }
  const int d = L.n_in * L.kh * L.kw;
  const int n_pos = oh * ow;
  // Output rows per block. Each output value is the same dot product over d whatever the
  // block, so blocking changes memory, not results.
  const int block_rows =
      static_cast<int>(std::clamp<std::size_t>(kIm2colFloats / (static_cast<std::size_t>(d) * ow), 1, oh));
  Tensor out(L.n_out, oh, ow);
  RowMajorF cols, block_out;
  for (int y0 = 0; y0 < oh; y0 += block_rows) {
    const int rows = std::min(block_rows, oh - y0);
    const int n_blk = rows * ow;
    // im2col with one row per (map, ky, kx) and one column per output position: every
    // row is a set of contiguous copies of a shifted input row.
    cols.resize(d, n_blk);
    for (int ci = 0; ci < L.n_in; ++ci)
      for (int ky = 0; ky < L.kh; ++ky)
        for (int kx = 0; kx < L.kw; ++kx) {
          float* row = cols.row((ci * L.kh + ky) * L.kw + kx).data();
          for (int y = 0; y < rows; ++y) {
            const float* src = &in.data[(static_cast<std::size_t>(ci) * in.h + y0 + y + ky) * in.w + kx];
            std::copy(src, src + ow, row + static_cast<std::size_t>(y) * ow);
          }
        }
    // The whole layer in one block (the usual case) is computed straight into `out`.
    const bool whole = n_blk == n_pos;
    if (!whole) block_out.resize(L.n_out, n_blk);
    float* dst = whole ? out.data.data() : block_out.data();
    Eigen::Map<RowMajorF>(dst, L.n_out, n_blk).noalias() = L.conv_matrix * cols;  // map-major output
    if (!whole)
      for (int k = 0; k < L.n_out; ++k)
        std::copy(block_out.row(k).data(), block_out.row(k).data() + n_blk,
                  out.data.data() + static_cast<std::size_t>(k) * n_pos + static_cast<std::size_t>(y0) * ow);
  }
  Eigen::Map<RowMajorF> res(out.data.data(), L.n_out, n_pos);
  for (int k = 0; k < L.n_out; ++k) res.row(k).array() += L.conv_bias[static_cast<std::size_t>(k)];
  if (act != nullptr) prelu(*act, out);
  return out;
}

Tensor max_pool(const CNNLayer& L, const Tensor& in) {
  // Output size round((W - k) / s) + 1, halves away from zero; edge windows are clipped.
  const int ow = static_cast<int>(std::round(static_cast<double>(in.w - L.pool_kx) / L.pool_sx)) + 1;
  const int oh = static_cast<int>(std::round(static_cast<double>(in.h - L.pool_ky) / L.pool_sy)) + 1;
  if (ow < 1 || oh < 1 || in.w < 1 || in.h < 1) throw InvalidArgument("image too small for the network");
  Tensor out(in.c, oh, ow);
  // Per output row: the column-wise max over the window's rows (one vectorisable pass), then
  // the max over each window's columns. Max is exact, so the order does not change the result.
  std::vector<float> vmax(static_cast<std::size_t>(in.w));
  for (int c = 0; c < in.c; ++c)
    for (int oy = 0; oy < oh; ++oy) {
      const int y0 = oy * L.pool_sy, y1 = std::min(y0 + L.pool_ky, in.h);
      std::fill(vmax.begin(), vmax.end(), -std::numeric_limits<float>::infinity());
      for (int y = y0; y < y1; ++y) {
        const float* row = &in.data[(static_cast<std::size_t>(c) * in.h + y) * in.w];
        for (int x = 0; x < in.w; ++x) vmax[static_cast<std::size_t>(x)] = std::max(vmax[static_cast<std::size_t>(x)], row[x]);
      }
      float* o = &out.at(c, oy, 0);
      const float* v = vmax.data();
      // Whole windows first, written out for MTCNN's 2- and 3-wide ones (no inner loop).
      const int full = in.w < L.pool_kx ? 0 : std::min((in.w - L.pool_kx) / L.pool_sx + 1, ow);
      int ox = 0;
      if (L.pool_kx == 2) {
        for (; ox < full; ++ox) o[ox] = std::max(v[ox * L.pool_sx], v[ox * L.pool_sx + 1]);
      } else if (L.pool_kx == 3) {
        for (; ox < full; ++ox) {
          const float* w = v + ox * L.pool_sx;
          o[ox] = std::max(std::max(w[0], w[1]), w[2]);
        }
      }
      for (; ox < ow; ++ox) {
        const int x0 = ox * L.pool_sx, x1 = std::min(x0 + L.pool_kx, in.w);
        float m = -std::numeric_limits<float>::infinity();
        for (int x = x0; x < x1; ++x) m = std::max(m, v[x]);
        o[ox] = m;
      }
    }
  return out;
}

Tensor fully_connected(const CNNLayer& L, const Tensor& in) {
  const int n_out = static_cast<int>(L.fc_weights.rows()), n_in = static_cast<int>(L.fc_weights.cols());
  if ((in.h > 1 || in.w > 1) && n_in == in.c) {
    // A 1x1 convolution over maps (MTCNN's PNet head).
    Tensor out(n_out, in.h, in.w);
    const int hw = in.h * in.w;
    Eigen::Map<const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> X(in.data.data(), in.c, hw);
    Eigen::Map<Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> Y(out.data.data(), n_out, hw);
    Y.noalias() = L.fc_weights * X;
    Y.colwise() += L.fc_bias;
    return out;
  }
  if (static_cast<long long>(in.c) * in.h * in.w != n_in) throw InvalidArgument("fully connected layer input size mismatch");
  // Maps flattened column-major (x outer, y inner), concatenated in map order.
  Eigen::VectorXf v(n_in);
  int k = 0;
  for (int c = 0; c < in.c; ++c)
    for (int x = 0; x < in.w; ++x)
      for (int y = 0; y < in.h; ++y) v[k++] = in.at(c, y, x);
  Tensor out(n_out, 1, 1);
  Eigen::Map<Eigen::VectorXf>(out.data.data(), n_out) = L.fc_weights * v + L.fc_bias;
  return out;
}

}  // namespace

GemmKernel select_gemm_kernel() {
  const char* env = std::getenv("PYFACELM_SIMD");
  const std::string want = env == nullptr ? "" : env;
  if (want == "baseline") return GemmKernel::Baseline;
  if (want == "avx2") {
    if (!simd::has_avx2_fma())
      throw InvalidArgument("PYFACELM_SIMD=avx2, but this CPU (or this build) has no AVX2 + FMA kernel");
    return GemmKernel::AVX2;
  }
  if (!want.empty() && want != "auto")
    throw InvalidArgument("PYFACELM_SIMD must be 'baseline', 'avx2' or 'auto', got '" + want + "'");
  return simd::has_avx2_fma() ? GemmKernel::AVX2 : GemmKernel::Baseline;
}

const char* gemm_kernel_name(GemmKernel k) { return k == GemmKernel::AVX2 ? "avx2" : "baseline"; }

Tensor cnn_forward(const CNN& cnn, Tensor x) {
  const std::size_t n = cnn.layers.size();
  for (std::size_t i = 0; i < n; ++i) {
    const CNNLayer& L = cnn.layers[i];
    switch (L.kind) {
      case CNNLayer::Kind::Conv: {
        // A PReLU right after a convolution runs inside it (one pass over the maps less).
        const bool fuse = i + 1 < n && cnn.layers[i + 1].kind == CNNLayer::Kind::PReLU;
        x = conv(L, x, cnn.gemm, fuse ? &cnn.layers[i + 1] : nullptr);
        i += fuse ? 1 : 0;
        break;
      }
      case CNNLayer::Kind::MaxPool: x = max_pool(L, x); break;
      case CNNLayer::Kind::FullyConnected: x = fully_connected(L, x); break;
      case CNNLayer::Kind::ReLU:
        for (float& v : x.data) v = std::max(v, 0.f);
        break;
      case CNNLayer::Kind::PReLU: prelu(L, x); break;
      case CNNLayer::Kind::Sigmoid:
        for (float& v : x.data) v = 1.f / (1.f + std::exp(-v));
        break;
    }
  }
  return x;
}

}  // namespace pyfacelm
