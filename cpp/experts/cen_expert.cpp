// SPEC §3.6: CEN response: a small MLP on contrast-normalised 11x11 windows,
// evaluated at every second position and densified by 4-neighbour averaging.
#include <cmath>

#include "experts/detail/cen_expert.hpp"

namespace pyfacelm {

void cen_response(const CENResponder& e, const float* aoi, int aoi_size, int win, bool flip, ResponseMap& out) {
  const int h = e.height, w = e.width, dim = 1 + w * h;
  const int n_pos = win * win;
  const int n_sparse = n_pos / 2;  // odd x-major indices 1, 3, ..., n_pos - 2 (win is odd)
  auto px = [&](int y, int x) { return aoi[y * aoi_size + (flip ? aoi_size - 1 - x : x)]; };
  Eigen::MatrixXf X(dim, n_sparse);
  const float inv_count = 1.f / static_cast<float>(w * h);
  for (int j = 0; j < n_sparse; ++j) {
    const int k = 2 * j + 1;
    const int x = k / win, y = k % win;
    float* col = X.col(j).data();
    float sum = 0.f;
    for (int yy = 0; yy < h; ++yy)
      for (int xx = 0; xx < w; ++xx) sum += px(y + yy, x + xx);
    const float mean = sum * inv_count;
    float ssq = 0.f;
    for (int xx = 0; xx < w; ++xx)
      for (int yy = 0; yy < h; ++yy) {
        const float v = px(y + yy, x + xx) - mean;
        col[1 + xx * h + yy] = v;
        ssq += v * v;
      }
    float norm = std::sqrt(ssq);
    if (norm == 0.f) norm = 1.f;
    col[0] = 1.f;
    for (int i = 1; i < dim; ++i) col[i] /= norm;
  }
  Eigen::MatrixXf act = X;
  for (const auto& L : e.layers) {
    Eigen::MatrixXf next = L.weights * act;
    next.colwise() += L.bias;
    if (L.activation == 0) next = (1.f / (1.f + (-next.array()).exp())).matrix();
    else if (L.activation == 2) next = next.cwiseMax(0.f);
    act.swap(next);
  }
  // Densify (x-major index k): odd k keep their value, even k average their 4-neighbours.
  auto sparse_at = [&](int x, int y) { return act(0, (x * win + y) / 2); };
  out.resize(win, win);
  for (int x = 0; x < win; ++x)
    for (int y = 0; y < win; ++y) {
      const int k = x * win + y;
      float v;
      if (k % 2 == 1) {
        v = sparse_at(x, y);
      } else {
        // Neighbours in sparse-index order, each weighted 1/count (an interpolation matrix product).
        const int cnt = (x > 0) + (y > 0) + (x < win - 1) + (y < win - 1);
        const float wgt = 1.f / static_cast<float>(cnt);
        float s = 0.f;
        if (x > 0) s += sparse_at(x - 1, y) * wgt;
        if (y > 0) s += sparse_at(x, y - 1) * wgt;
        if (y < win - 1) s += sparse_at(x, y + 1) * wgt;
        if (x < win - 1) s += sparse_at(x + 1, y) * wgt;
        v = s;
      }
      out(y, flip ? win - 1 - x : x) = v;
    }
}

}  // namespace pyfacelm
