// AVX2 + FMA direct convolution for the CNN layers, compiled with -mavx2 -mfma and reached only
// through simd::has_avx2_fma(). It reads the input maps in place instead of building an im2col
// matrix (MTCNN's first pyramid levels made that matrix megabytes large), yet each output is
// the same chain of FMAs as gemm_avx2 over the im2col rows - (map, ky, kx) ascending from 0 -
// so results are bit-identical to the GEMM path. No Eigen here (see gemm_avx2.cpp).
#include <immintrin.h>

#include <cstddef>

#include "detection/detail/simd.hpp"

namespace pyfacelm::simd {

namespace {

struct ConvShape {
  int n_in, ih, iw, n_out, kh, kw, oh, ow;
};

// Lane masks for the last, partial block of 16 output columns.
inline __m256i lane_mask(int lanes) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(lanes), idx);
}

// bias, then PReLU (slopes != nullptr): max(v, 0) + s * min(v, 0), as the separate layer
// computes it (one of the two terms is exactly 0, so the result is the same either way).
inline __m256 finish(__m256 acc, float bias, const float* slopes, int co) {
  __m256 v = _mm256_add_ps(acc, _mm256_set1_ps(bias));
  if (slopes != nullptr) {
    const __m256 zero = _mm256_setzero_ps();
    v = _mm256_add_ps(_mm256_max_ps(v, zero), _mm256_mul_ps(_mm256_set1_ps(slopes[co]), _mm256_min_ps(v, zero)));
  }
  return v;
}

// R output maps x 16 output columns of output row y, starting at column x0. Not Full: the
// right edge (`lanes` < 16), where loads and stores are masked (nothing past the row is touched).
template <int R, bool Full>
void block(const ConvShape& s, const float* in, const float* W, const float* bias, const float* slopes, int co, int y,
           int x0, int lanes, float* out) {
  __m256 acc[R][2];
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  const __m256i m0 = lane_mask(lanes), m1 = lane_mask(lanes - 8);
  const int d = s.n_in * s.kh * s.kw;
  const float* w_row = W + static_cast<std::ptrdiff_t>(co) * d;
  int p = 0;
  for (int ci = 0; ci < s.n_in; ++ci)
    for (int ky = 0; ky < s.kh; ++ky) {
      const float* src = in + (static_cast<std::ptrdiff_t>(ci) * s.ih + y + ky) * s.iw + x0;
      for (int kx = 0; kx < s.kw; ++kx, ++p) {
        const __m256 b0 = Full ? _mm256_loadu_ps(src + kx) : _mm256_maskload_ps(src + kx, m0);
        const __m256 b1 = Full ? _mm256_loadu_ps(src + kx + 8) : _mm256_maskload_ps(src + kx + 8, m1);
        for (int r = 0; r < R; ++r) {
          const __m256 a = _mm256_broadcast_ss(w_row + static_cast<std::ptrdiff_t>(r) * d + p);
          acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
          acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
        }
      }
    }
  const std::ptrdiff_t plane = static_cast<std::ptrdiff_t>(s.oh) * s.ow;
  for (int r = 0; r < R; ++r) {
    float* dst = out + (co + r) * plane + static_cast<std::ptrdiff_t>(y) * s.ow + x0;
    const __m256 v0 = finish(acc[r][0], bias[co + r], slopes, co + r);
    const __m256 v1 = finish(acc[r][1], bias[co + r], slopes, co + r);
    if (Full) {
      _mm256_storeu_ps(dst, v0);
      _mm256_storeu_ps(dst + 8, v1);
    } else {
      _mm256_maskstore_ps(dst, m0, v0);
      _mm256_maskstore_ps(dst + 8, m1, v1);
    }
  }
}

// Every output map at one block of columns, four maps at a time.
template <bool Full>
void row_blocks(const ConvShape& s, const float* in, const float* W, const float* bias, const float* slopes, int y,
                int x0, int lanes, float* out) {
  int co = 0;
  for (; co + 4 <= s.n_out; co += 4) block<4, Full>(s, in, W, bias, slopes, co, y, x0, lanes, out);
  for (; co + 2 <= s.n_out; co += 2) block<2, Full>(s, in, W, bias, slopes, co, y, x0, lanes, out);
  for (; co < s.n_out; ++co) block<1, Full>(s, in, W, bias, slopes, co, y, x0, lanes, out);
}

}  // namespace

void conv_avx2(int n_in, int ih, int iw, const float* in, int n_out, int kh, int kw, const float* W, const float* bias,
               const float* slopes, float* out) {
  const ConvShape s{n_in, ih, iw, n_out, kh, kw, ih - kh + 1, iw - kw + 1};
  for (int y = 0; y < s.oh; ++y)
    for (int x0 = 0; x0 < s.ow; x0 += 16) {
      const int lanes = s.ow - x0 < 16 ? s.ow - x0 : 16;
      if (lanes == 16)
        row_blocks<true>(s, in, W, bias, slopes, y, x0, lanes, out);
      else
        row_blocks<false>(s, in, W, bias, slopes, y, x0, lanes, out);
    }
}

}  // namespace pyfacelm::simd
