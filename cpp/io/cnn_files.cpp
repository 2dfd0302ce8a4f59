// SPEC §1.10 (validator) and §1.11 (MTCNN): CNN layer lists, PAW block.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "io/cnn_files.hpp"
#include "common/errors.hpp"

namespace pyfacelm {

namespace {

constexpr double kDegToRad = 3.14159265358979323846 / 180.0;

void read_conv(BinaryReader& in, CNNLayer& L) {
  L.kind = CNNLayer::Kind::Conv;
  L.n_in = in.count("conv input maps", 1, 4096);
  L.n_out = in.count("conv output maps", 1, 4096);
  L.conv_bias = in.f32_array("conv biases", L.n_out);
  for (int i = 0; i < L.n_in; ++i)
    for (int k = 0; k < L.n_out; ++k) {
      auto kern = in.matrix<float>("conv kernel", L.kernels.empty() ? -1 : L.kh, L.kernels.empty() ? -1 : L.kw);
      if (L.kernels.empty()) {
        if (kern.rows() < 1 || kern.cols() < 1 || kern.rows() > 64 || kern.cols() > 64) in.fail("conv kernel size out of range");
        L.kh = static_cast<int>(kern.rows());
        L.kw = static_cast<int>(kern.cols());
      }
      L.kernels.push_back(std::move(kern));
    }
  L.conv_matrix.resize(L.n_out, L.n_in * L.kh * L.kw);
  for (int i = 0; i < L.n_in; ++i)
    for (int k = 0; k < L.n_out; ++k) {
      const auto& ker = L.kernels[static_cast<std::size_t>(i) * L.n_out + k];
      for (int ky = 0; ky < L.kh; ++ky)
        for (int kx = 0; kx < L.kw; ++kx) L.conv_matrix(k, (i * L.kh + ky) * L.kw + kx) = ker(ky, kx);
    }
}

// bias (out x 1), weights stored in x out: kept as out x in.
void read_fc(BinaryReader& in, CNNLayer& L) {
  L.kind = CNNLayer::Kind::FullyConnected;
  auto bias = in.matrix<float>("FC bias", -1, 1);
  auto w = in.matrix<float>("FC weights", -1, static_cast<int>(bias.rows()));
  if (w.rows() < 1 || bias.rows() < 1) in.fail("FC layer has no weights");
  L.fc_bias = Eigen::Map<const Eigen::VectorXf>(bias.data(), bias.rows());
  L.fc_weights = w.transpose();
}

// Checks that consecutive layers fit together (channel counts).
void check_chain(BinaryReader& in, const CNN& cnn, int input_channels) {
  int ch = input_channels;
  for (const auto& L : cnn.layers) {
    if (L.kind == CNNLayer::Kind::Conv) {
      if (L.n_in != ch) in.fail("conv layer expects " + std::to_string(L.n_in) + " input maps, gets " + std::to_string(ch));
      ch = L.n_out;
    } else if (L.kind == CNNLayer::Kind::FullyConnected) {
      ch = static_cast<int>(L.fc_weights.rows());
    } else if (L.kind == CNNLayer::Kind::PReLU) {
      if (L.slopes.size() != ch) in.fail("PReLU has " + std::to_string(L.slopes.size()) + " slopes for " + std::to_string(ch) + " channels");
    }
  }
}

}  // namespace

ValidatorFile read_validator(const std::string& path) {
  BinaryReader in(path);
  int type = in.i32("validator type");
  if (type != 3)
    in.fail("validator type " + std::to_string(type) + " is not supported (only CNN validators, type 3, are)");
  int n_views = in.count("number of validator views", 1, 64);
  ValidatorFile f;
  f.views.resize(static_cast<std::size_t>(n_views));
  for (auto& v : f.views) {
    auto o = in.matrix<double>("validator view orientation", 3, 1);
    v.orientation = Eigen::Vector3d(o(0, 0), o(1, 0), o(2, 0)) * kDegToRad;
  }
  for (auto& v : f.views) {
    auto mean = in.matrix<double>("validator mean", 1);
    auto std = in.matrix<double>("validator std", 1, static_cast<int>(mean.cols()));
    v.mean = mean.row(0).transpose().cast<float>();
    v.std = std.row(0).transpose().cast<float>();
    int depth = in.count("validator CNN depth", 1, 64);
    for (int d = 0; d < depth; ++d) {
      CNNLayer L;
      int lt = in.i32("validator layer type");
      switch (lt) {
        case 0: read_conv(in, L); break;
        case 1: L.kind = CNNLayer::Kind::MaxPool; break;  // fixed 2x2, stride 2
        case 2: read_fc(in, L); break;
        case 3: L.kind = CNNLayer::Kind::ReLU; break;
        case 4: L.kind = CNNLayer::Kind::Sigmoid; break;
        default: in.fail("unknown validator layer type " + std::to_string(lt));
      }
      v.cnn.layers.push_back(std::move(L));
    }
    check_chain(in, v.cnn, 1);
    auto& p = v.paw;
    p.n_pixels = in.count("PAW pixel count", 1, 1 << 20);
    if (p.n_pixels != v.mean.size()) in.fail("PAW pixel count does not match the normalisation vectors");
    p.min_x = in.f64("PAW min x");
    p.min_y = in.f64("PAW min y");
    auto dst = in.matrix<double>("PAW destination landmarks", -1, 1);
    if (dst.rows() < 6 || dst.rows() % 2) in.fail("PAW destination landmarks must hold 2n values");
    p.destination = dst.col(0).cast<float>();
    p.triangulation = in.matrix<int>("PAW triangulation", -1, 3);
    p.triangle_id = in.matrix<int>("PAW triangle ids");
    p.mask = in.matrix<int>("PAW pixel mask", static_cast<int>(p.triangle_id.rows()), static_cast<int>(p.triangle_id.cols()));
    const int T = static_cast<int>(p.triangulation.rows());
    p.alpha = in.matrix<float>("PAW alpha", T, 3);
    p.beta = in.matrix<float>("PAW beta", T, 3);
    const int n_lm = static_cast<int>(dst.rows() / 2);
    for (Eigen::Index i = 0; i < p.triangulation.size(); ++i)
      if (p.triangulation.data()[i] < 0 || p.triangulation.data()[i] >= n_lm) in.fail("PAW triangle vertex out of range");
    int inside = 0;
    for (Eigen::Index i = 0; i < p.mask.size(); ++i) {
      if (p.mask.data()[i] != 0) {
        ++inside;
        int t = p.triangle_id.data()[i];
        if (t < 0 || t >= T) in.fail("PAW pixel inside the mask has no valid triangle");
      }
    }
    if (inside != p.n_pixels) in.fail("PAW mask holds " + std::to_string(inside) + " pixels, header says " + std::to_string(p.n_pixels));
  }
  in.expect_end("validator file");
  return f;
}

CNN read_mtcnn_network(const std::string& path) {
  BinaryReader in(path);
  CNN cnn;
  int depth = in.count("network depth", 1, 64);
  for (int d = 0; d < depth; ++d) {
    CNNLayer L;
    int lt = in.i32("layer type");
    switch (lt) {
      case 0: read_conv(in, L); break;
      case 1:
        L.kind = CNNLayer::Kind::MaxPool;
        L.pool_kx = in.count("pool kernel x", 1, 64);
        L.pool_ky = in.count("pool kernel y", 1, 64);
        L.pool_sx = in.count("pool stride x", 1, 64);
        L.pool_sy = in.count("pool stride y", 1, 64);
        break;
      case 2: read_fc(in, L); break;
      case 3: {
        L.kind = CNNLayer::Kind::PReLU;
        auto s = in.matrix<float>("PReLU slopes");
        L.slopes = Eigen::Map<const Eigen::VectorXf>(s.data(), s.size());
        break;
      }
      case 4: L.kind = CNNLayer::Kind::Sigmoid; break;
      default: in.fail("unknown MTCNN layer type " + std::to_string(lt));
    }
    cnn.layers.push_back(std::move(L));
  }
  check_chain(in, cnn, 3);
  in.expect_end("MTCNN network file");
  return cnn;
}

MTCNNFiles read_mtcnn(const std::string& path) {
  std::vector<char> data = read_whole_file(path, 1 << 16);
  std::istringstream ss(std::string(data.begin(), data.end()));
  std::filesystem::path dir = std::filesystem::path(path).parent_path();
  std::string key, rel, pnet, rnet, onet;
  while (ss >> key >> rel) {
    std::string abs = (dir / rel).lexically_normal().string();
    if (key == "PNet") pnet = abs;
    else if (key == "RNet") rnet = abs;
    else if (key == "ONet") onet = abs;
  }
  if (pnet.empty() || rnet.empty() || onet.empty())
    throw ModelFormatError(path + ": must name PNet, RNet and ONet files");
  return MTCNNFiles{read_mtcnn_network(pnet), read_mtcnn_network(rnet), read_mtcnn_network(onet)};
}

}  // namespace pyfacelm
