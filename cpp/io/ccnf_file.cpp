// SPEC §1.7: CCNF patch experts (binary despite the .txt name).
#include "io/detail/expert_file_header.hpp"
#include "io/expert_files.hpp"

namespace pyfacelm {

CCNFPatchFile read_ccnf_patches(const std::string& path) {
  BinaryReader in(path);
  CCNFPatchFile f;
  read_binary_header(in, f, kMaxLandmarks);
  int n_windows = in.count("number of window sizes", 0, 32);
  for (int k = 0; k < n_windows; ++k) {
    SigmaComponentSet set;
    set.window = in.count("window size", 1, 64);
    int n_comp = in.count("number of sigma components", 0, 64);
    const int w2 = set.window * set.window;
    for (int c = 0; c < n_comp; ++c) set.components.push_back(in.matrix<float>("sigma component", w2, w2));
    f.sigma_sets.push_back(std::move(set));
  }
  const std::size_t n_betas = f.sigma_sets.empty() ? 0 : f.sigma_sets[0].components.size();
  const int n = f.n_landmarks();
  f.experts.resize(f.view_centers.size());
  for (auto& view : f.experts) {
    view.resize(static_cast<std::size_t>(n));
    for (auto& e : view) {
      if (in.i32("CCNF expert tag") != 5) in.fail("CCNF expert record does not start with tag 5");
      e.width = in.count("CCNF expert width", 1, kMaxSupport);
      e.height = in.count("CCNF expert height", 1, kMaxSupport);
      int n_neurons = in.count("number of neurons", 0, 256);
      if (n_neurons == 0) {
        in.i32("empty-record filler");
        continue;
      }
      e.neurons.reserve(static_cast<std::size_t>(n_neurons));
      for (int k = 0; k < n_neurons; ++k) {
        CCNFNeuron nr;
        if (in.i32("CCNF neuron tag") != 2) in.fail("CCNF neuron record does not start with tag 2");
        nr.type = in.i32("neuron type");
        nr.norm_weights = in.f64("neuron norm weight");
        nr.bias = in.f64("neuron bias");
        nr.alpha = in.f64("neuron alpha");
        nr.weights = in.matrix<float>("neuron weights", e.height, e.width);
        e.neurons.push_back(std::move(nr));
      }
      for (std::size_t b = 0; b < n_betas; ++b) e.betas.push_back(in.f64("beta"));
      e.confidence = in.f64("patch confidence");
    }
  }
  in.expect_end("CCNF patch file");
  return f;
}

}  // namespace pyfacelm
