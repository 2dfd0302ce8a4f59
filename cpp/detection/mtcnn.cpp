// SPEC §7: MTCNN stages, NMS on integer-rounded boxes, box regression and
// rectification, zero-padded crops, final mapping to the 68-landmark box.
#include "detection/mtcnn.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "common/errors.hpp"
#include "detection/cnn.hpp"
#include "image/image_ops.hpp"

namespace pyfacelm {

namespace {

struct Candidate {
  float x, y, w, h;  // current box
  float score;
  float reg[4];
};

// The input image's R, G, B channels, read straight from the caller's 8-bit view by the resizes
// (a float copy of a 10-megapixel photo would take 120 MB; 8-bit values convert exactly).
struct RgbSource {
  const ImageView& v;
  int rows, cols;
  int idx[3];  // channel index of R, G, B in the view
  explicit RgbSource(const ImageView& view)
      : v(view),
        rows(view.rows),
        cols(view.cols),
        idx{view.channels == 1 ? 0 : (view.order == ColorOrder::BGR ? 2 : 0), view.channels == 1 ? 0 : 1,
            view.channels == 1 ? 0 : (view.order == ColorOrder::BGR ? 0 : 2)} {}
};

// (v - 127.5) / 128 over resized planes.
void normalise(float* p, int n) {
  for (int i = 0; i < n; ++i) p[i] = p[i] * 0.0078125f - 0.99609375f;
}

// The src_rows x src_cols window at (top, left) of the image (zero outside it), resized and
// normalised to (v - 127.5) / 128 as a network input: a pyramid level or a stage 2-3 crop.
Tensor network_input(const RgbSource& src, int top, int left, int src_rows, int src_cols, int rows, int cols) {
  Tensor t(3, rows, cols);
  const std::size_t plane = static_cast<std::size_t>(rows) * cols;
  float* const dst[3] = {t.data.data(), t.data.data() + plane, t.data.data() + 2 * plane};
  resize_linear_u8(src.v, top, left, src_rows, src_cols, src.idx, 3, dst, rows, cols);
  normalise(t.data.data(), static_cast<int>(3 * plane));
  return t;
}

// PNet over a large pyramid level in bands of output rows. The first convolution's maps of a
// 10-megapixel photo's first level take 16 MB on top of its input; a band of rows keeps them
// near 4 MB. Every output value depends on the same input values whatever the band (valid
// convolutions, 1x1 heads, pooling windows starting at multiples of their stride, the band's
// first input row a multiple of the net's total stride), so the result is the whole-level one.
constexpr std::size_t kBandFloats = std::size_t{1} << 20;

// Height of the net's output for `h` input rows (cnn.cpp's layer rules).
int output_rows(const CNN& net, int h) {
  for (const auto& L : net.layers) {
    if (L.kind == CNNLayer::Kind::Conv) h = h - L.kh + 1;
    if (L.kind == CNNLayer::Kind::MaxPool)
      h = static_cast<int>(std::round(static_cast<double>(h - L.pool_ky) / L.pool_sy)) + 1;
  }
  return h;
}

// The input rows [first, last) that output rows [y0, y1) are computed from.
std::pair<int, int> input_rows(const CNN& net, int y0, int y1) {
  for (auto it = net.layers.rbegin(); it != net.layers.rend(); ++it) {
    if (it->kind == CNNLayer::Kind::Conv) y1 += it->kh - 1;
    if (it->kind == CNNLayer::Kind::MaxPool) {
      y0 *= it->pool_sy;
      y1 = (y1 - 1) * it->pool_sy + it->pool_ky;
    }
  }
  return {y0, y1};
}

Tensor pnet_forward(const CNN& net, Tensor in) {
  const CNNLayer& first = net.layers.front();
  const std::size_t per_row = static_cast<std::size_t>(std::max(first.n_out, in.c)) * static_cast<std::size_t>(in.w);
  const int H = output_rows(net, in.h);
  int stride = 1;
  long channels = in.c;
  for (const auto& L : net.layers) {
    if (L.kind == CNNLayer::Kind::MaxPool) stride *= L.pool_sy;
    if (L.kind == CNNLayer::Kind::Conv) channels = L.n_out;
    if (L.kind == CNNLayer::Kind::FullyConnected) {
      // A head over flattened maps mixes rows: such a net runs on the whole level.
      if (L.fc_weights.cols() != channels) return cnn_forward(net, std::move(in));
      channels = L.fc_weights.rows();
    }
  }
  const int band = static_cast<int>(kBandFloats / per_row) / stride;
  if (first.kind != CNNLayer::Kind::Conv || band < 1 || H <= band || H < 2)
    return cnn_forward(net, std::move(in));
  Tensor out;
  for (int y0 = 0; y0 < H; y0 += band) {
    const int y1 = std::min(y0 + band, H);
    auto [a, b] = input_rows(net, y0, y1);
    if (y1 == H) b = in.h;  // the last band ends where the level ends (clipped pooling windows)
    Tensor part(in.c, b - a, in.w);
    for (int c = 0; c < in.c; ++c)
      std::copy(&in.data[(static_cast<std::size_t>(c) * in.h + a) * in.w],
                &in.data[(static_cast<std::size_t>(c) * in.h + b) * in.w],
                &part.data[static_cast<std::size_t>(c) * (b - a) * in.w]);
    const Tensor o = cnn_forward(net, std::move(part));
    if (o.h != y1 - y0) throw InvalidArgument("MTCNN: PNet band has an unexpected height");
    if (out.data.empty()) out = Tensor(o.c, H, o.w);
    for (int c = 0; c < o.c; ++c)
      std::copy(&o.data[static_cast<std::size_t>(c) * o.h * o.w], &o.data[static_cast<std::size_t>(c + 1) * o.h * o.w],
                &out.data[(static_cast<std::size_t>(c) * H + y0) * o.w]);
  }
  return out;
}

// OpenCV saturate_cast<int>(float): round half to even.
int round_int(float v) { return static_cast<int>(std::nearbyint(v)); }

struct IntRect {
  int x, y, w, h;
};
IntRect to_int_rect(const Candidate& c) { return {round_int(c.x), round_int(c.y), round_int(c.w), round_int(c.h)}; }

// §7.4: greedy NMS; highest score first, ties -> the later candidate; overlap on integer rectangles.
std::vector<Candidate> nms(const std::vector<Candidate>& in, float threshold, bool use_min) {
  std::vector<std::size_t> order(in.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    if (in[a].score != in[b].score) return in[a].score > in[b].score;
    return a > b;
  });
  std::vector<char> removed(in.size(), 0);
  std::vector<Candidate> out;
  for (std::size_t oi = 0; oi < order.size(); ++oi) {
    const std::size_t i = order[oi];
    if (removed[i]) continue;
    out.push_back(in[i]);
    const IntRect a = to_int_rect(in[i]);
    const long long area_a = static_cast<long long>(a.w) * a.h;
    for (std::size_t oj = oi + 1; oj < order.size(); ++oj) {
      const std::size_t j = order[oj];
      if (removed[j]) continue;
      const IntRect b = to_int_rect(in[j]);
      const long long area_b = static_cast<long long>(b.w) * b.h;
      const int ix = std::max(a.x, b.x), iy = std::max(a.y, b.y);
      const int iw = std::min(a.x + a.w, b.x + b.w) - ix, ih = std::min(a.y + a.h, b.y + b.h) - iy;
      const long long inter = (iw > 0 && ih > 0) ? static_cast<long long>(iw) * ih : 0;
      double overlap;
      if (use_min) {
        const long long m = std::min(area_a, area_b);
        overlap = m > 0 ? static_cast<double>(inter) / static_cast<double>(m) : 0.0;
      } else {
        const long long u = area_a + area_b - inter;
        overlap = u > 0 ? static_cast<double>(inter) / static_cast<double>(u) : 0.0;
      }
      if (overlap > threshold) removed[j] = 1;
    }
  }
  return out;
}

// §7.4 apply_correction: regression on the integer-rounded box (w, h + 1 if add1).
void apply_correction(std::vector<Candidate>& boxes, bool add1) {
  for (auto& c : boxes) {
    const IntRect r = to_int_rect(c);
    const float x = static_cast<float>(r.x), y = static_cast<float>(r.y);
    const float w = static_cast<float>(r.w + (add1 ? 1 : 0)), h = static_cast<float>(r.h + (add1 ? 1 : 0));
    const float x1 = x + c.reg[0] * w, y1 = y + c.reg[1] * h;
    const float x2 = x + w + c.reg[2] * w, y2 = y + h + c.reg[3] * h;
    c.x = x1;
    c.y = y1;
    c.w = x2 - x1;
    c.h = y2 - y1;
  }
}

// §7.4 rectify: square boxes, truncated to integers.
void rectify(std::vector<Candidate>& boxes) {
  for (auto& c : boxes) {
    const float side = std::max(c.w, c.h);
    c.x = static_cast<float>(static_cast<int>(c.x + 0.5f * (c.w - side)));
    c.y = static_cast<float>(static_cast<int>(c.y + 0.5f * (c.h - side)));
    c.w = c.h = static_cast<float>(static_cast<int>(side));
  }
}

// §7.4 crop: (h+1) x (w+1) zero-padded patch starting at (x-1, y-1), resized for the network.
// Returns false for boxes that do not touch the image (the original aborts on them).
bool crop_input(const RgbSource& img, const Candidate& c, int size, Tensor& out) {
  const int x = static_cast<int>(c.x), y = static_cast<int>(c.y), w = static_cast<int>(c.w), h = static_cast<int>(c.h);
  if (w <= 0 || h <= 0) return false;
  const int pw = w + 1, ph = h + 1;
  const int c0 = std::max(x - 1, 0), c1 = std::min(x - 1 + pw, img.cols);
  const int r0 = std::max(y - 1, 0), r1 = std::min(y - 1 + ph, img.rows);
  if (c1 <= c0 || r1 <= r0) return false;
  out = network_input(img, y - 1, x - 1, ph, pw, size, size);
  return true;
}

float face_probability(float a, float b) { return 1.f / (1.f + std::exp(a - b)); }

// §7.2 stages 2-3: score each box's crop; keep those >= threshold with the new score and
// regression (the box itself is unchanged until apply_correction).
std::vector<Candidate> refine(const CNN& net, const RgbSource& img, const std::vector<Candidate>& boxes, int size,
                              float threshold) {
  std::vector<Candidate> kept;
  Tensor input;
  for (const auto& c : boxes) {
    if (!crop_input(img, c, size, input)) continue;
    const Tensor o = cnn_forward(net, std::move(input));
    const float prob = face_probability(o.data[0], o.data[1]);
    if (!(prob >= threshold)) continue;
    Candidate k = c;
    k.score = prob;
    for (int j = 0; j < 4; ++j) k.reg[j] = o.data[static_cast<std::size_t>(2 + j)];
    kept.push_back(k);
  }
  return kept;
}

}  // namespace

MTCNN MTCNN::load(const std::string& detector_file) {
  const GemmKernel kernel = select_gemm_kernel();
  MTCNN m;
  m.nets_ = read_mtcnn(detector_file);
  m.nets_.pnet.gemm = m.nets_.rnet.gemm = m.nets_.onet.gemm = kernel;
  return m;
}

std::vector<FaceBox> MTCNN::detect(const ImageView& image, const MTCNNSettings& s) const {
  // Below 12 px (the PNet window) the pyramid would start by enlarging the image; refuse
  // before allocating anything.
  if (!(s.min_face >= 12) || !std::isfinite(s.min_face))
    throw InvalidArgument("MTCNN min_face must be a finite number of pixels >= 12, got " + std::to_string(s.min_face));
  std::vector<FaceBox> result;
  if (image.empty()) return result;
  const RgbSource img(image);
  const int H = img.rows, W = img.cols;

  // Stage 1: PNet over the pyramid.
  const double min_dim = std::min(H, W);
  const double factor = 0.709;
  const int n_scales = static_cast<int>(std::floor(std::log(s.min_face / min_dim) / std::log(factor))) + 1;
  std::vector<Candidate> proposals;
  for (int i = 0; i < n_scales; ++i) {
    const double scale = (12.0 / s.min_face) * std::pow(factor, i);
    const int h = static_cast<int>(std::ceil(H * scale)), w = static_cast<int>(std::ceil(W * scale));
    if (h < 12 || w < 12) break;
    Tensor out = pnet_forward(nets_.pnet, network_input(img, 0, 0, H, W, h, w));
    if (out.c < 6) break;
    const float sc = static_cast<float>(scale);
    std::vector<Candidate> level;
    for (int x = 0; x < out.w; ++x)
      for (int y = 0; y < out.h; ++y) {
        const float prob = face_probability(out.at(0, y, x), out.at(1, y, x));
        if (!(prob >= s.t1)) continue;
        const int x1 = static_cast<int>(static_cast<float>(2 * x + 1) / sc), x2 = static_cast<int>(static_cast<float>(2 * x + 12) / sc);
        const int y1 = static_cast<int>(static_cast<float>(2 * y + 1) / sc), y2 = static_cast<int>(static_cast<float>(2 * y + 12) / sc);
        Candidate c{static_cast<float>(x1), static_cast<float>(y1), static_cast<float>(x2 - x1), static_cast<float>(y2 - y1), prob,
                    {out.at(2, y, x), out.at(3, y, x), out.at(4, y, x), out.at(5, y, x)}};
        level.push_back(c);
      }
    for (const auto& c : nms(level, 0.5f, false)) proposals.push_back(c);
  }
  proposals = nms(proposals, 0.7f, false);
  apply_correction(proposals, false);
  rectify(proposals);

  // Stage 2: RNet on 24x24 crops.
  std::vector<Candidate> kept = refine(nets_.rnet, img, proposals, 24, s.t2);
  kept = nms(kept, 0.7f, false);
  apply_correction(kept, false);
  rectify(kept);

  // Stage 3: ONet on 48x48 crops.
  std::vector<Candidate> final_boxes = refine(nets_.onet, img, kept, 48, s.t3);
  apply_correction(final_boxes, true);
  final_boxes = nms(final_boxes, 0.7f, true);

  // OpenFace's mapping from the MTCNN box to the tight box of the 68 landmarks.
  for (const auto& c : final_boxes) {
    FaceBox b;
    b.x = static_cast<float>(c.x + (-0.0075) * c.w);
    b.y = static_cast<float>(c.y + 0.2459 * c.h);
    b.w = static_cast<float>(1.0323 * c.w);
    b.h = static_cast<float>(0.7751 * c.h);
    b.score = c.score;
    result.push_back(b);
  }
  return result;
}

}  // namespace pyfacelm
