// Forward pass of the small CNNs (validator, MTCNN) with OpenFace's layer
// semantics (SPEC §7.3).
#pragma once

#include <vector>

#include "io/cnn_files.hpp"

namespace pyfacelm {

// C maps of H x W floats, map-major, each map row-major.
struct Tensor {
  int c = 0, h = 0, w = 0;
  std::vector<float> data;
  Tensor() = default;
  Tensor(int c_, int h_, int w_) : c(c_), h(h_), w(w_), data(static_cast<std::size_t>(c_) * h_ * w_, 0.f) {}
  float& at(int ch, int y, int x) { return data[(static_cast<std::size_t>(ch) * h + y) * w + x]; }
  float at(int ch, int y, int x) const { return data[(static_cast<std::size_t>(ch) * h + y) * w + x]; }
};

// Runs every layer; the result of a fully connected layer on flattened maps is a
// C x 1 x 1 tensor. Throws InvalidArgument if a map becomes smaller than a kernel.
Tensor cnn_forward(const CNN& cnn, Tensor x);

}  // namespace pyfacelm
