// SPEC §3.4: SVR response = product over modalities of a logistic of the
// normalised cross-correlation (OpenCV TM_CCOEFF_NORMED semantics, in double).
#include <cfloat>
#include <cmath>
#include <vector>

#include "experts/patch_experts.hpp"
#include "experts/detail/simd.hpp"

namespace pyfacelm {

namespace {

// corr(y, x) over every valid placement of the h x w template in the a x a image.
void ccoeff_normed(const std::vector<double>& img, int a, const RowMatrix<float>& tmpl, int win, GemmKernel kernel,
                   std::vector<double>& out) {
  const int h = static_cast<int>(tmpl.rows()), w = static_cast<int>(tmpl.cols());
  const double n = static_cast<double>(h * w);
  double tsum = 0;
  for (Eigen::Index i = 0; i < tmpl.size(); ++i) tsum += tmpl.data()[i];
  const double tmean = tsum / n;
  std::vector<double> t(tmpl.size());
  double tvar = 0;
  for (Eigen::Index i = 0; i < tmpl.size(); ++i) {
    t[i] = tmpl.data()[i] - tmean;
    tvar += t[i] * t[i];
  }
  out.assign(static_cast<std::size_t>(win * win), 1.0);
  if (tvar < DBL_EPSILON) return;  // flat template: OpenCV returns 1 everywhere
  // Window sums and sums of squares from integral images (as OpenCV does, in double).
  const int ia = a + 1;
  std::vector<double> S1(static_cast<std::size_t>(ia) * ia, 0.0), S2(S1.size(), 0.0);
  for (int y = 0; y < a; ++y)
    for (int x = 0; x < a; ++x) {
      const double v = img[static_cast<std::size_t>(y) * a + x];
      const std::size_t i = static_cast<std::size_t>(y + 1) * ia + x + 1;
      S1[i] = v + S1[i - 1] + S1[i - ia] - S1[i - ia - 1];
      S2[i] = v * v + S2[i - 1] + S2[i - ia] - S2[i - ia - 1];
    }
  auto box = [&](const std::vector<double>& I, int y, int x) {
    const std::size_t y0 = static_cast<std::size_t>(y) * ia, y1 = static_cast<std::size_t>(y + h) * ia;
    return I[y1 + x + w] - I[y1 + x] - I[y0 + x + w] + I[y0 + x];
  };
  // Numerators: four partial sums per position (the AVX2 kernel sums in the same order).
  if (kernel == GemmKernel::AVX2 && win >= 4) {
    simd::svr_numerators_avx2(img.data(), a, t.data(), h, w, win, out.data());
  } else {
    for (int y = 0; y < win; ++y)
      for (int x = 0; x < win; ++x) {
        double acc[4] = {0, 0, 0, 0};
        for (int yy = 0; yy < h; ++yy) {
          const double* row = &img[static_cast<std::size_t>(y + yy) * a + x];
          const double* trow = &t[static_cast<std::size_t>(yy) * w];
          int xx = 0;
          for (; xx + 4 <= w; xx += 4)
            for (int j = 0; j < 4; ++j) acc[j] += trow[xx + j] * row[xx + j];
          for (; xx < w; ++xx) acc[0] += trow[xx] * row[xx];
        }
        out[static_cast<std::size_t>(y) * win + x] = (acc[0] + acc[1]) + (acc[2] + acc[3]);
      }
  }
  for (int y = 0; y < win; ++y)
    for (int x = 0; x < win; ++x) {
      const double num = out[static_cast<std::size_t>(y) * win + x];
      const double s = box(S1, y, x), s2 = box(S2, y, x);
      const double wvar = std::max(0.0, s2 - s * s / n);
      const double denom = std::sqrt(tvar * wvar);
      double c;
      if (std::fabs(num) < denom) c = num / denom;
      else if (std::fabs(num) < denom * 1.125) c = num > 0 ? 1.0 : -1.0;
      else c = 0.0;
      out[static_cast<std::size_t>(y) * win + x] = c;
    }
}

}  // namespace

void SVRResponder::response(const float* aoi, int win, ResponseMap& out, GemmKernel kernel) const {
  const int a = win + width - 1;
  const int np = a * a;
  out.setOnes(win, win);
  std::vector<double> img(static_cast<std::size_t>(np)), corr;
  for (const auto& m : modalities) {
    if (m.type == 0) {
      // Whole-AOI standardisation (float), as the original; NCC is invariant to it
      // up to rounding.
      float sum = 0;
      for (int i = 0; i < np; ++i) sum += aoi[i];
      const float mean = sum / static_cast<float>(np);
      float ssq = 0;
      for (int i = 0; i < np; ++i) ssq += (aoi[i] - mean) * (aoi[i] - mean);
      float sd = std::sqrt(ssq / static_cast<float>(np));
      if (sd == 0) sd = 1;
      for (int i = 0; i < np; ++i) img[i] = (aoi[i] - mean) / sd;
    } else {
      for (int y = 0; y < a; ++y)
        for (int x = 0; x < a; ++x) {
          float g = 0;
          if (y > 0 && y < a - 1 && x > 0 && x < a - 1) {
            const float dx = aoi[y * a + x + 1] - aoi[y * a + x - 1];
            const float dy = aoi[(y + 1) * a + x] - aoi[(y - 1) * a + x];
            g = dx * dx + dy * dy;
          }
          img[y * a + x] = g;
        }
    }
    ccoeff_normed(img, a, m.weights, win, kernel, corr);
    for (int i = 0; i < win * win; ++i) {
      const float c = static_cast<float>(corr[i]);
      out.data()[i] *= 1.f / (1.f + std::exp(-(c * static_cast<float>(m.scaling) + static_cast<float>(m.bias))));
    }
  }
}

}  // namespace pyfacelm
