// AVX2 + FMA direct convolution for the CNN layers, compiled with -mavx2 -mfma and reached only
// through simd::has_avx2_fma(). No im2col matrix: output position (y, x) is computed at the
// flat index q = y * iw + x of a map as wide as the input, where input tap (map, ky, kx) sits at
// map * ih * iw + q + ky * iw + kx - so 16 consecutive q read 16 consecutive input floats, for
// narrow maps (MTCNN's 24 and 48 pixel crops) as well as wide ones. The columns x >= ow of that
// wide map are discarded. Each output is the FMA chain over (map, ky, kx) ascending from 0, the
// order of a GEMM over im2col rows. No Eigen here: template code compiled with other flags must
// not be shared with the baseline build.
#include <immintrin.h>

#include <cstddef>
#include <cstring>
#include <new>

#include "detection/detail/simd.hpp"

namespace pyfacelm::simd {

namespace {

struct ConvShape {
  int n_in, ih, iw, n_out, kh, kw, oh, ow;
  std::ptrdiff_t n_q;  // flat positions computed: (oh - 1) * iw + ow
};

// Lane masks for the last, partial block of 16 positions.
inline __m256i lane_mask(int lanes) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(lanes), idx);
}

// bias, then PReLU (slopes != nullptr): max(v, 0) + s * min(v, 0), as the separate layer
// computes it (one of the two terms is exactly 0, so fusing changes nothing).
inline __m256 finish(__m256 acc, float bias, const float* slopes, int co) {
  __m256 v = _mm256_add_ps(acc, _mm256_set1_ps(bias));
  if (slopes != nullptr) {
    const __m256 zero = _mm256_setzero_ps();
    v = _mm256_add_ps(_mm256_max_ps(v, zero), _mm256_mul_ps(_mm256_set1_ps(slopes[co]), _mm256_min_ps(v, zero)));
  }
  return v;
}

// R output maps x 16 flat positions from q0 into `wide` (n_out maps of n_q floats). Not Full:
// the last block (`lanes` < 16), where loads and stores are masked; the loads of full blocks
// stay inside the input because the last position's taps end at its last float.
template <int R, bool Full>
void block(const ConvShape& s, const float* in, const float* W, const float* bias, const float* slopes, int co,
           std::ptrdiff_t q0, int lanes, float* wide) {
  __m256 acc[R][2];
  for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  const __m256i m0 = lane_mask(lanes), m1 = lane_mask(lanes - 8);
  // The block's weights packed tap-major (R per tap): one pointer walks them.
  const float* w = W + static_cast<std::ptrdiff_t>(co) * s.n_in * s.kh * s.kw;
  const std::ptrdiff_t map = static_cast<std::ptrdiff_t>(s.ih) * s.iw;
  for (int ci = 0; ci < s.n_in; ++ci)
    for (int ky = 0; ky < s.kh; ++ky) {
      const float* src = in + ci * map + static_cast<std::ptrdiff_t>(ky) * s.iw + q0;
      for (int kx = 0; kx < s.kw; ++kx, w += R) {
        const __m256 b0 = Full ? _mm256_loadu_ps(src + kx) : _mm256_maskload_ps(src + kx, m0);
        const __m256 b1 = Full ? _mm256_loadu_ps(src + kx + 8) : _mm256_maskload_ps(src + kx + 8, m1);
        for (int r = 0; r < R; ++r) {
          const __m256 a = _mm256_broadcast_ss(w + r);
          acc[r][0] = _mm256_fmadd_ps(a, b0, acc[r][0]);
          acc[r][1] = _mm256_fmadd_ps(a, b1, acc[r][1]);
        }
      }
    }
  for (int r = 0; r < R; ++r) {
    float* dst = wide + (co + r) * s.n_q + q0;
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

// Every output map at one block of positions: six maps at a time (12 accumulators in
// registers), then four, two, one.
template <bool Full>
void all_maps(const ConvShape& s, const float* in, const float* W, const float* bias, const float* slopes,
              std::ptrdiff_t q0, int lanes, float* wide) {
  int co = 0;
  for (; co + 6 <= s.n_out; co += 6) block<6, Full>(s, in, W, bias, slopes, co, q0, lanes, wide);
  for (; co + 4 <= s.n_out; co += 4) block<4, Full>(s, in, W, bias, slopes, co, q0, lanes, wide);
  for (; co + 2 <= s.n_out; co += 2) block<2, Full>(s, in, W, bias, slopes, co, q0, lanes, wide);
  for (; co < s.n_out; ++co) block<1, Full>(s, in, W, bias, slopes, co, q0, lanes, wide);
}

}  // namespace

void conv_avx2(int n_in, int ih, int iw, const float* in, int n_out, int kh, int kw, const float* W, const float* bias,
               const float* slopes, float* out) {
  const int oh = ih - kh + 1, ow = iw - kw + 1;
  const ConvShape s{n_in, ih, iw, n_out, kh, kw, oh, ow, static_cast<std::ptrdiff_t>(oh - 1) * iw + ow};
  // Weights regrouped for the blocks of all_maps (6, then 4, 2, 1 maps): within a block, tap
  // by tap, the block's maps side by side. Same values, same per-output order.
  const int d = n_in * kh * kw;
  float* packed = static_cast<float*>(_mm_malloc(sizeof(float) * static_cast<std::size_t>(n_out) * d, 32));
  if (packed == nullptr) throw std::bad_alloc();
  for (int co = 0; co < n_out;) {
    const int R = n_out - co >= 6 ? 6 : n_out - co >= 4 ? 4 : n_out - co >= 2 ? 2 : 1;
    float* blk = packed + static_cast<std::ptrdiff_t>(co) * d;
    for (int p = 0; p < d; ++p)
      for (int r = 0; r < R; ++r) blk[p * R + r] = W[static_cast<std::ptrdiff_t>(co + r) * d + p];
    co += R;
  }
  W = packed;
  // Straight into `out` when no column is discarded (a 1-wide kernel); otherwise through a
  // wide buffer, compacted below.
  float* wide = out;
  if (ow != iw) {
    wide = static_cast<float*>(_mm_malloc(sizeof(float) * static_cast<std::size_t>(s.n_q) * n_out, 32));
    if (wide == nullptr) {
      _mm_free(packed);
      throw std::bad_alloc();
    }
  }
  std::ptrdiff_t q0 = 0;
  for (; q0 + 16 <= s.n_q; q0 += 16) all_maps<true>(s, in, W, bias, slopes, q0, 16, wide);
  if (q0 < s.n_q) all_maps<false>(s, in, W, bias, slopes, q0, static_cast<int>(s.n_q - q0), wide);
  _mm_free(packed);
  if (wide == out) return;
  for (int co = 0; co < n_out; ++co)
    for (int y = 0; y < oh; ++y)
      std::memcpy(out + (static_cast<std::ptrdiff_t>(co) * oh + y) * ow, wide + co * s.n_q + static_cast<std::ptrdiff_t>(y) * iw,
                  sizeof(float) * static_cast<std::size_t>(ow));
  _mm_free(wide);
}

}  // namespace pyfacelm::simd
