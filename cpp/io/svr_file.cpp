// SPEC §1.6: SVR patch experts (text).
#include "io/detail/expert_file_header.hpp"
#include "io/expert_files.hpp"

namespace pyfacelm {

SVRPatchFile read_svr_patches(const std::string& path) {
  TextReader in(path);
  SVRPatchFile f;
  // Comments are only allowed between header sections: records share lines, and
  // OpenFace's comment rule would discard the rest of a line that starts with a space.
  read_text_header(in, f, kMaxLandmarks);
  const int n = f.n_landmarks();
  f.experts.resize(f.view_centers.size());
  for (auto& view : f.experts) {
    view.resize(static_cast<std::size_t>(n));
    for (auto& e : view) {
      if (in.integer("SVR expert tag") != 3) in.fail("SVR expert record does not start with tag 3");
      long long w = in.integer("SVR expert width"), h = in.integer("SVR expert height");
      long long n_mod = in.integer("number of modalities");
      if (w < 1 || w > kMaxSupport || h < 1 || h > kMaxSupport) in.fail("SVR expert size out of range");
      if (n_mod < 0 || n_mod > 8) in.fail("number of modalities out of range");
      e.width = static_cast<int>(w);
      e.height = static_cast<int>(h);
      for (long long k = 0; k < n_mod; ++k) {
        SVRModality m;
        if (in.integer("SVR modality tag") != 2) in.fail("SVR modality record does not start with tag 2");
        m.type = static_cast<int>(in.integer("modality type"));
        if (m.type != 0 && m.type != 1) in.fail("modality type must be 0 (raw) or 1 (gradient)");
        m.confidence = in.number("modality confidence");
        m.scaling = in.number("modality scaling");
        m.bias = in.number("modality bias");
        // Stored column-major: the file's rows x cols block is the template transposed.
        RowMatrix<float> t = in.matrix<float>("SVR weights", e.width, e.height);
        m.weights = t.transpose();
        e.modalities.push_back(std::move(m));
      }
    }
  }
  in.expect_end("SVR patch file");
  return f;
}

}  // namespace pyfacelm
