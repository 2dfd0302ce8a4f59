// In-memory form of the CNN model files: the detection validator (SPEC §1.10)
// and MTCNN's three networks (SPEC §1.11).
#pragma once

#include <Eigen/Core>
#include <string>
#include <vector>

#include "io/file_readers.hpp"

namespace pyfacelm {

struct CNNLayer {
  enum class Kind { Conv, MaxPool, FullyConnected, ReLU, PReLU, Sigmoid };
  Kind kind = Kind::ReLU;
  // Conv: kernels[in * n_out + out] (kh x kw), one bias per output map.
  int n_in = 0, n_out = 0, kh = 0, kw = 0;
  std::vector<float> conv_bias;
  std::vector<RowMatrix<float>> kernels;
  RowMatrix<float> conv_matrix;  // n_out x (n_in * kh * kw): the kernels as one GEMM operand
  // MaxPool: window and stride.
  int pool_kx = 2, pool_ky = 2, pool_sx = 2, pool_sy = 2;
  // FullyConnected: weights out x in, bias out.
  RowMatrix<float> fc_weights;
  Eigen::VectorXf fc_bias;
  // PReLU: one slope per channel.
  Eigen::VectorXf slopes;
};

struct CNN {
  std::vector<CNNLayer> layers;
};

struct PiecewiseAffineWarp {
  int n_pixels = 0;
  double min_x = 0, min_y = 0;
  Eigen::VectorXf destination;     // 2n: [x..., y...] of the canonical shape
  RowMatrix<int> triangulation;    // T x 3 landmark indices
  RowMatrix<int> triangle_id;      // H x W, -1 outside
  RowMatrix<int> mask;             // H x W, 1 inside
  RowMatrix<float> alpha, beta;    // T x 3
};

struct ValidatorView {
  Eigen::Vector3d orientation;     // radians
  Eigen::VectorXf mean, std;       // N
  CNN cnn;
  PiecewiseAffineWarp paw;
};

struct ValidatorFile {
  std::vector<ValidatorView> views;
};

ValidatorFile read_validator(const std::string& path);

struct MTCNNFiles {
  CNN pnet, rnet, onet;
};
// Reads MTCNN_detector.txt and the three .dat files it names.
MTCNNFiles read_mtcnn(const std::string& path);
CNN read_mtcnn_network(const std::string& path);

}  // namespace pyfacelm
