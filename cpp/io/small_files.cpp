// SPEC §1.9 early termination and §1.5 triangulations (text).
#include "io/expert_files.hpp"

namespace pyfacelm {

EarlyTermination read_early_termination(const std::string& path, int n_views) {
  TextReader in(path);
  EarlyTermination et;
  in.skip_comments();
  for (auto* v : {&et.weights, &et.biases, &et.cutoffs}) {
    for (int i = 0; i < n_views; ++i) v->push_back(in.number("early-termination value"));
  }
  in.expect_end("early-termination file");
  return et;
}

std::vector<RowMatrix<int>> read_triangulations(const std::string& path) {
  TextReader in(path);
  in.skip_comments();
  long long n = in.integer("number of triangulations");
  if (n < 0 || n > 64) in.fail("number of triangulations out of range");
  std::vector<RowMatrix<int>> out;
  for (long long v = 0; v < n; ++v) {
    in.skip_comments();
    out.push_back(in.matrix<int>("triangulation", -1, 3));
  }
  in.expect_end("triangulation file");
  return out;
}

}  // namespace pyfacelm
