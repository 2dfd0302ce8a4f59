// AVX2 + FMA CCNF neuron layer (SPEC §3.5), compiled with -mavx2 -mfma and reached only
// through simd::has_avx2_fma(). No Eigen here: template code compiled with other flags must
// not be shared with the baseline build.
//
// Eight response positions per step, one per lane: their windows are gathered from the AOI
// into a small transposed tile (no im2col matrix), contrast-normalised lane-wise and run
// through every neuron with FMA; the logistic is evaluated with a vectorised exp. Against the
// baseline path this changes float rounding only (sum order, FMA, exp within 2 ulp, the
// normalisation divided out after the dot product instead of before it): the parity tests
// run both paths against the same tolerances.
#include <immintrin.h>

#include <algorithm>
#include <new>
#include <vector>

#include "experts/detail/simd.hpp"

namespace pyfacelm::simd {

namespace {

// exp(x) for x in [-87.3, 88.3] (clamped outside: the logistic is then 0 or 1 to within
// float precision anyway); Cephes' range reduction and degree-5 polynomial, ~1 ulp.
inline __m256 exp_ps(__m256 x) {
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.3f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  x = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), x);
  __m256 y = _mm256_set1_ps(1.9875691500e-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.f)));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

// NK neurons (rows of W, stride `dim`, template after the bias) on n centred tile rows.
template <int NK>
inline void dot_block(const float* tile, int n, const float* W, int dim, __m256* out) {
  __m256 a[NK];
  for (int k = 0; k < NK; ++k) a[k] = _mm256_setzero_ps();
  for (int d = 0; d < n; ++d) {
    const __m256 c = _mm256_load_ps(tile + 8L * d);
    for (int k = 0; k < NK; ++k) a[k] = _mm256_fmadd_ps(_mm256_broadcast_ss(W + static_cast<long>(k) * dim + 1 + d), c, a[k]);
  }
  for (int k = 0; k < NK; ++k) out[k] = a[k];
}

void dot_any(int nk, const float* tile, int n, const float* W, int dim, __m256* out) {
  switch (nk) {
    case 1: dot_block<1>(tile, n, W, dim, out); break;
    case 2: dot_block<2>(tile, n, W, dim, out); break;
    case 3: dot_block<3>(tile, n, W, dim, out); break;
    case 4: dot_block<4>(tile, n, W, dim, out); break;
    case 5: dot_block<5>(tile, n, W, dim, out); break;
    case 6: dot_block<6>(tile, n, W, dim, out); break;
    case 7: dot_block<7>(tile, n, W, dim, out); break;
    default: dot_block<8>(tile, n, W, dim, out); break;
  }
}

}  // namespace

void ccnf_neurons_avx2(const float* aoi, int win, int w, int h, const float* weights, int n_neurons,
                       const float* two_alpha, float* r) {
  const int aoi_w = win + w - 1, n_pos = win * win, n = w * h, dim = 1 + n;
  std::vector<int> offset(static_cast<std::size_t>(n));
  for (int yy = 0; yy < h; ++yy)
    for (int xx = 0; xx < w; ++xx) offset[static_cast<std::size_t>(yy * w + xx)] = yy * aoi_w + xx;
  float* tile = static_cast<float*>(_mm_malloc(sizeof(float) * 8 * static_cast<std::size_t>(n > 0 ? n : 1), 32));
  if (tile == nullptr) throw std::bad_alloc();
  const __m256 inv_count = _mm256_set1_ps(1.f / static_cast<float>(n));
  const __m256 one = _mm256_set1_ps(1.f);
  alignas(32) int base[8];
  alignas(32) float tail[8];
  __m256 q[8];
  for (int p0 = 0; p0 < n_pos; p0 += 8) {
    const int lanes = std::min(8, n_pos - p0);
    for (int j = 0; j < 8; ++j) {
      const int p = p0 + (j < lanes ? j : 0);  // spare lanes repeat a real position
      base[j] = (p / win) * aoi_w + p % win;
    }
    const __m256i vbase = _mm256_load_si256(reinterpret_cast<const __m256i*>(base));
    __m256 sum = _mm256_setzero_ps();
    for (int d = 0; d < n; ++d) {
      const __m256 v = _mm256_i32gather_ps(aoi + offset[static_cast<std::size_t>(d)], vbase, 4);
      _mm256_store_ps(tile + 8L * d, v);
      sum = _mm256_add_ps(sum, v);
    }
    const __m256 mean = _mm256_mul_ps(sum, inv_count);
    __m256 ssq = _mm256_setzero_ps();
    for (int d = 0; d < n; ++d) {
      const __m256 c = _mm256_sub_ps(_mm256_load_ps(tile + 8L * d), mean);
      _mm256_store_ps(tile + 8L * d, c);
      ssq = _mm256_fmadd_ps(c, c, ssq);
    }
    __m256 norm = _mm256_sqrt_ps(ssq);
    norm = _mm256_blendv_ps(norm, one, _mm256_cmp_ps(norm, _mm256_setzero_ps(), _CMP_EQ_OQ));  // flat window
    __m256 resp = _mm256_setzero_ps();
    for (int k0 = 0; k0 < n_neurons; k0 += 8) {
      const int nk = std::min(8, n_neurons - k0);
      const float* W = weights + static_cast<long>(k0) * dim;
      dot_any(nk, tile, n, W, dim, q);
      for (int k = 0; k < nk; ++k) {
        const __m256 qk = _mm256_add_ps(_mm256_broadcast_ss(W + static_cast<long>(k) * dim), _mm256_div_ps(q[k], norm));
        const __m256 e = exp_ps(_mm256_sub_ps(_mm256_setzero_ps(), qk));
        resp = _mm256_add_ps(resp, _mm256_div_ps(_mm256_broadcast_ss(two_alpha + k0 + k), _mm256_add_ps(one, e)));
      }
    }
    if (lanes == 8) {
      _mm256_storeu_ps(r + p0, resp);
    } else {
      _mm256_store_ps(tail, resp);
      std::copy(tail, tail + lanes, r + p0);
    }
  }
  _mm_free(tile);
}

}  // namespace pyfacelm::simd
