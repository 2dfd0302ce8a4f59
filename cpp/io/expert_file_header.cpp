// Shared header of the binary patch-expert files (SPEC §1.7, §1.8).
#include "io/detail/expert_file_header.hpp"

#include <cmath>

namespace pyfacelm {

constexpr double kDegToRad = 3.14159265358979323846 / 180.0;

void read_binary_header(BinaryReader& in, ExpertFileHeader& h, int max_landmarks) {
  h.patch_scaling = in.f64("patch scaling");
  if (!(h.patch_scaling > 0 && h.patch_scaling < 100)) in.fail("patch scaling must be a positive number");
  int n_views = in.count("number of views", 1, 64);
  for (int v = 0; v < n_views; ++v) {
    auto c = in.matrix<double>("view centre", 3, 1);
    h.view_centers.emplace_back(c(0, 0) * kDegToRad, c(1, 0) * kDegToRad, c(2, 0) * kDegToRad);
  }
  for (int v = 0; v < n_views; ++v) {
    auto vis = in.matrix<int>("visibility", h.visibility.empty() ? -1 : h.n_landmarks(), 1);
    if (vis.rows() < 1 || vis.rows() > max_landmarks) in.fail("visibility must list 1.." + std::to_string(max_landmarks) + " landmarks");
    h.visibility.emplace_back(vis.data(), vis.data() + vis.rows());
  }
}

void read_text_header(TextReader& in, ExpertFileHeader& h, int max_landmarks) {
  in.skip_comments();
  h.patch_scaling = in.number("patch scaling");
  if (!(h.patch_scaling > 0 && h.patch_scaling < 100)) in.fail("patch scaling must be a positive number");
  in.skip_comments();
  long long n_views = in.integer("number of views");
  if (n_views < 1 || n_views > 64) in.fail("number of views must be in [1, 64]");
  in.skip_comments();
  for (long long v = 0; v < n_views; ++v) {
    auto c = in.matrix<double>("view centre", 3, 1);
    h.view_centers.emplace_back(c(0, 0) * kDegToRad, c(1, 0) * kDegToRad, c(2, 0) * kDegToRad);
    in.skip_comments();
  }
  for (long long v = 0; v < n_views; ++v) {
    auto vis = in.matrix<int>("visibility", h.visibility.empty() ? -1 : h.n_landmarks(), 1);
    if (vis.rows() < 1 || vis.rows() > max_landmarks) in.fail("visibility must list 1.." + std::to_string(max_landmarks) + " landmarks");
    h.visibility.emplace_back(vis.data(), vis.data() + vis.rows());
    in.skip_comments();
  }
}

}  // namespace pyfacelm
