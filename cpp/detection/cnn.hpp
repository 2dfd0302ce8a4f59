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

// The kernel for a model loading now: AVX2 + FMA where the CPU has it (and it was compiled
// in), the portable one elsewhere. The environment variable PYFACELM_SIMD overrides it:
// "baseline" forces the portable kernel (what ARM and older x86 run), "avx2" insists on AVX2,
// "auto" or unset picks. Throws InvalidArgument for another value or an impossible "avx2".
GemmKernel select_gemm_kernel();
const char* gemm_kernel_name(GemmKernel k);  // "baseline" or "avx2"

// Runs every layer; the result of a fully connected layer on flattened maps is a
// C x 1 x 1 tensor. Throws InvalidArgument if a map becomes smaller than a kernel.
Tensor cnn_forward(const CNN& cnn, Tensor x);

}  // namespace pyfacelm
