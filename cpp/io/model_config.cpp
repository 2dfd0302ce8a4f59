// SPEC §1.2 and §1.3: key/path lines, paths relative to the file's folder.
#include "io/model_config.hpp"

#include <filesystem>
#include <sstream>

#include "common/errors.hpp"
#include "io/file_readers.hpp"

namespace pyfacelm {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> split_lines(const std::vector<char>& data) {
  std::vector<std::string> lines;
  std::string cur;
  for (char c : data) {
    if (c == '\n') {
      lines.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  if (!cur.empty()) lines.push_back(cur);
  for (auto& l : lines)
    while (!l.empty() && (l.back() == '\r' || l.back() == ' ' || l.back() == '\t')) l.pop_back();
  return lines;
}

std::string resolve(const fs::path& dir, const std::string& rel) { return (dir / rel).lexically_normal().string(); }

[[noreturn]] void fail(const std::string& path, std::size_t line, const std::string& msg) {
  throw ModelFormatError(path + ": line " + std::to_string(line) + ": " + msg);
}

// The lines of a small text configuration file (binary content is refused).
std::vector<std::string> config_lines(const std::string& path) {
  std::vector<char> data = read_whole_file(path, 1 << 20);
  for (char c : data)
    if (c == '\0') throw ModelFormatError(path + ": contains binary data; expected a text configuration file");
  return split_lines(data);
}

}  // namespace

MainConfig read_main_config(const std::string& path) {
  const auto lines = config_lines(path);
  const fs::path dir = fs::path(path).parent_path();
  MainConfig cfg;
  cfg.path = path;
  for (std::size_t ln = 0; ln < lines.size(); ++ln) {
    std::istringstream ss(lines[ln]);
    std::string key;
    if (!(ss >> key)) continue;
    if (key == "LandmarkDetector") {
      std::string rel;
      if (!(ss >> rel)) fail(path, ln + 1, "LandmarkDetector without a file name");
      cfg.landmark_detector = resolve(dir, rel);
    } else if (key == "LandmarkDetector_part") {
      PartSpec part;
      std::string rel;
      if (!(ss >> rel >> part.name)) fail(path, ln + 1, "LandmarkDetector_part needs a file, a name and index pairs");
      part.main_file = resolve(dir, rel);
      // Pairs are parsed strictly: the trailing-whitespace quirk of SPEC §1.2
      // (a spurious (0, ?) pair) is a bug we do not reproduce.
      std::string tok;
      std::vector<long> ints;
      while (ss >> tok) {
        char* end = nullptr;
        long v = std::strtol(tok.c_str(), &end, 10);
        if (*end != '\0' || v < 0 || v > 100000) fail(path, ln + 1, "bad landmark index '" + printable(tok.data(), tok.size()) + "' in part mapping");
        ints.push_back(v);
      }
      if (ints.empty() || ints.size() % 2 != 0)
        fail(path, ln + 1, "part mapping must be a non-empty list of (main, part) index pairs");
      for (std::size_t i = 0; i < ints.size(); i += 2)
        part.mapping.emplace_back(static_cast<int>(ints[i]), static_cast<int>(ints[i + 1]));
      cfg.parts.push_back(std::move(part));
    } else if (key == "DetectionValidator") {
      std::string rel;
      if (!(ss >> rel)) fail(path, ln + 1, "DetectionValidator without a file name");
      cfg.validator = resolve(dir, rel);
    }
    // Other keys (FaceDetConversion, DetectorConstaints, ...) are ignored, as in OpenFace.
  }
  if (cfg.landmark_detector.empty())
    throw ModelFormatError(path + ": no 'LandmarkDetector <file>' line; is this a main_*.txt model file?");
  return cfg;
}

ModelDescription read_model_description(const std::string& path) {
  const auto lines = config_lines(path);
  const fs::path dir = fs::path(path).parent_path();
  ModelDescription d;
  d.path = path;
  for (std::size_t ln = 0; ln < lines.size(); ++ln) {
    const std::string& line = lines[ln];
    std::size_t sp = line.find(' ');
    if (sp == std::string::npos) continue;
    std::string key = line.substr(0, sp);
    // The path is the rest of the line after one space (paths may contain spaces).
    std::string rel = line.substr(sp + 1);
    if (rel.empty()) fail(path, ln + 1, key + " without a file name");
    std::string abs = resolve(dir, rel);
    if (key == "PDM") d.pdm = abs;
    else if (key == "Triangulations") d.triangulations = abs;
    else if (key == "PatchesIntensity") d.svr_patches.push_back(abs);
    else if (key == "PatchesCCNF") d.ccnf_patches.push_back(abs);
    else if (key == "PatchesCEN") d.cen_patches.push_back(abs);
    else if (key == "EarlyTermination") d.early_termination = abs;
  }
  if (d.pdm.empty()) throw ModelFormatError(path + ": no 'PDM <file>' line; is this a model description file?");
  return d;
}

}  // namespace pyfacelm
