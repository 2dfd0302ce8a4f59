// SPEC §1.8: CEN patch experts (binary .dat).
#include "io/detail/expert_file_header.hpp"
#include "io/expert_files.hpp"

namespace pyfacelm {

CENPatchFile read_cen_patches(const std::string& path) {
  BinaryReader in(path);
  CENPatchFile f;
  read_binary_header(in, f, kMaxLandmarks);
  const int n = f.n_landmarks();
  const int n_views = static_cast<int>(f.view_centers.size());
  auto mi = in.matrix<int>("mirror indices");
  if (mi.size() != n) in.fail("mirror indices must list one partner per landmark");
  f.mirror_inds.assign(mi.data(), mi.data() + mi.size());
  auto mv = in.matrix<int>("mirror views");
  if (mv.size() != n_views) in.fail("mirror views must list one partner per view");
  f.mirror_views.assign(mv.data(), mv.data() + mv.size());
  for (int v : f.mirror_inds)
    if (v < 0 || v >= n) in.fail("mirror index out of range");
  for (int v : f.mirror_views)
    if (v < 0 || v >= n_views) in.fail("mirror view out of range");

  f.experts.resize(static_cast<std::size_t>(n_views));
  for (auto& view : f.experts) {
    view.resize(static_cast<std::size_t>(n));
    for (auto& e : view) {
      if (in.i32("CEN expert tag") != 6) in.fail("CEN expert record does not start with tag 6");
      e.width_support = in.count("CEN support width", 1, kMaxSupport);
      e.height_support = in.count("CEN support height", 1, kMaxSupport);
      int n_layers = in.count("number of layers", 0, 32);
      long long inputs = 1LL + static_cast<long long>(e.width_support) * e.height_support;
      for (int k = 0; k < n_layers; ++k) {
        CENLayer layer;
        layer.activation = in.i32("activation");
        auto bias = in.matrix<float>("layer bias");
        layer.weights = in.matrix<float>("layer weights");
        if (layer.weights.cols() != inputs)
          in.fail("layer " + std::to_string(k) + " takes " + std::to_string(layer.weights.cols()) + " inputs, expected " +
                  std::to_string(inputs));
        if (bias.size() != layer.weights.rows()) in.fail("layer bias size does not match its weights");
        layer.bias = Eigen::Map<const Eigen::VectorXf>(bias.data(), bias.size());
        inputs = layer.weights.rows();
        e.layers.push_back(std::move(layer));
      }
      if (n_layers > 0 && inputs != 1) in.fail("the last CEN layer must have exactly one output");
      e.confidence = in.f64("CEN confidence");
    }
  }
  in.expect_end("CEN patch file");
  return f;
}

}  // namespace pyfacelm
