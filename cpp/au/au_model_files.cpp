// SPEC_AU §2.1-2.5: readers for the action-unit model files.
#include "au/au_model_files.hpp"

#include <cmath>
#include <string>
#include <utility>

#include "common/errors.hpp"

namespace pyfacelm {

namespace {

// Largest feature vector a predictor may declare: the shipped models use 4702 (HOG 4464 +
// geometry 238); the bound keeps a corrupt header from asking for absurd allocations.
constexpr int kMaxFeatures = 1 << 20;

std::string directory_of(const std::string& path) {
  const auto slash = path.find_last_of("/\\");
  return slash == std::string::npos ? std::string() : path.substr(0, slash + 1);
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

// The next whitespace-separated word of `line` at or after `from`: [begin, end), empty at the end.
std::pair<std::size_t, std::size_t> next_word(const std::string& line, std::size_t from) {
  std::size_t a = from;
  while (a < line.size() && is_space(line[a])) ++a;
  std::size_t b = a;
  while (b < line.size() && !is_space(line[b])) ++b;
  return {a, b};
}

// Lines of a text file, each without its line break (and trailing CR).
std::vector<std::string> lines_of(const std::vector<char>& data) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : data) {
    if (c == '\n') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  out.push_back(cur);
  for (auto& l : out)
    while (!l.empty() && l.back() == '\r') l.pop_back();
  return out;
}

[[noreturn]] void text_fail(const std::string& path, std::size_t offset, const std::string& message) {
  throw ModelFormatError(path + ": at byte " + std::to_string(offset) + ": " + message);
}

double finite_f64(BinaryReader& in, const char* what) {
  const std::size_t at = in.position();
  const double v = in.f64(what);
  if (!std::isfinite(v)) throw ModelFormatError(in.path() + ": at byte " + std::to_string(at) + ": " + what + " is not finite");
  return v;
}

}  // namespace

AUPredictorFile read_au_predictor(const std::string& path) {
  BinaryReader in(path, read_whole_file(path, std::size_t(64) << 20));
  AUPredictorFile f;
  const std::size_t type_at = in.position();
  const int type = in.i32("predictor type");
  if (type != 0 && type != 1 && type != 4 && type != 5)
    throw ModelFormatError(path + ": at byte " + std::to_string(type_at) + ": unsupported predictor type " +
                           std::to_string(type) + " (expected 0, 1, 4 or 5)");
  f.kind = static_cast<AUPredictorKind>(type);
  if (f.kind == AUPredictorKind::DynamicSVR) {
    f.cutoff = finite_f64(in, "cutoff");
    if (f.cutoff != -1.0 && !(f.cutoff >= 0.0 && f.cutoff < 1.0))
      in.fail("cutoff " + std::to_string(f.cutoff) + " is neither -1 nor in [0, 1)");
  }
  const RowMatrix<double> means = in.matrix<double>("means", 1, -1);
  if (means.cols() < 1 || means.cols() > kMaxFeatures) in.fail("means has an implausible length");
  const RowMatrix<double> w = in.matrix<double>("weights", static_cast<int>(means.cols()), 1);
  f.means = means.row(0);
  f.weights = w.col(0);
  f.bias = finite_f64(in, "bias");
  if (f.kind == AUPredictorKind::StaticSVM || f.kind == AUPredictorKind::DynamicSVM) {
    f.pos_label = finite_f64(in, "positive label");
    f.neg_label = finite_f64(in, "negative label");
  }
  in.expect_end("AU predictor file");
  return f;
}

std::vector<AUListEntry> read_au_list(const std::string& path) {
  const std::vector<char> data = read_whole_file(path, std::size_t(1) << 20);
  const std::string dir = directory_of(path);
  std::vector<AUListEntry> out;
  std::size_t offset = 0;
  for (const std::string& line : lines_of(data)) {
    const std::size_t line_at = offset;
    offset += line.size() + 1;
    const auto [a, b] = next_word(line, 0);
    if (a == line.size()) continue;  // blank lines carry nothing
    AUListEntry e;
    e.path = dir + line.substr(a, b - a);
    // SPEC_AU §2.2: the names are everything after the first space, trailing blanks removed,
    // split at commas.
    const std::size_t space = line.find(' ');
    std::string rest = space == std::string::npos ? std::string() : line.substr(space + 1);
    while (!rest.empty() && is_space(rest.back())) rest.pop_back();
    std::size_t s = 0;
    while (s <= rest.size() && !rest.empty()) {
      std::size_t comma = rest.find(',', s);
      if (comma == std::string::npos) comma = rest.size();
      std::string name = rest.substr(s, comma - s);
      while (!name.empty() && is_space(name.front())) name.erase(name.begin());
      while (!name.empty() && is_space(name.back())) name.pop_back();
      if (name.empty()) text_fail(path, line_at, "empty AU name in '" + printable(line.data(), line.size()) + "'");
      for (char c : name)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
          text_fail(path, line_at, "AU name with a non-printable character: '" + printable(name.data(), name.size()) + "'");
      e.names.push_back(name);
      s = comma + 1;
      if (comma == rest.size()) break;
    }
    if (e.names.size() != 1)
      text_fail(path, line_at, "expected '<file> <AU name>' (one name per predictor), got '" +
                                   printable(line.data(), line.size()) + "'");
    out.push_back(std::move(e));
  }
  if (out.empty()) text_fail(path, 0, "no predictors listed");
  return out;
}

AUModuleFile read_au_module(const std::string& path) {
  const std::vector<char> data = read_whole_file(path, std::size_t(1) << 20);
  const std::string dir = directory_of(path);
  AUModuleFile m;
  std::size_t offset = 0;
  for (const std::string& line : lines_of(data)) {
    const std::size_t line_at = offset;
    offset += line.size() + 1;
    const auto [a, b] = next_word(line, 0);
    if (a == line.size()) continue;
    const std::string key = line.substr(a, b - a);
    const auto [c, d] = next_word(line, b);
    const std::string file = line.substr(c, d - c);
    std::string* slot = key == "AUPredictor" ? &m.predictor_list
                        : key == "PDM"       ? &m.pdm
                        : key == "Triangulation" ? &m.triangulation
                                                 : nullptr;
    if (slot == nullptr) continue;  // unknown keys are ignored, as in the original
    if (file.empty()) text_fail(path, line_at, "'" + key + "' without a file name");
    *slot = dir + file;
  }
  if (m.predictor_list.empty()) text_fail(path, 0, "no 'AUPredictor' line");
  if (m.pdm.empty()) text_fail(path, 0, "no 'PDM' line");
  if (m.triangulation.empty()) text_fail(path, 0, "no 'Triangulation' line");
  return m;
}

RowMatrix<int> read_au_triangulation(const std::string& path, int n_points) {
  TextReader in(path);
  RowMatrix<int> t = in.matrix<int>("triangulation", -1, 3);
  if (t.rows() < 1) in.fail("no triangles");
  if (n_points >= 0) {
    for (Eigen::Index i = 0; i < t.size(); ++i)
      if (t.data()[i] < 0 || t.data()[i] >= n_points)
        in.fail("triangle vertex " + std::to_string(t.data()[i]) + " outside 0.." + std::to_string(n_points - 1));
  } else {
    for (Eigen::Index i = 0; i < t.size(); ++i)
      if (t.data()[i] < 0) in.fail("negative triangle vertex");
  }
  in.expect_end("triangulation file");
  return t;
}

}  // namespace pyfacelm
