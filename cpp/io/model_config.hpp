// The line-based configuration files that tie a detector's model files
// together (SPEC §1.2 main_*.txt, §1.3 per-model description).
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace pyfacelm {

struct PartSpec {
  std::string main_file;                      // absolute path of the part's own main_*.txt
  std::string name;                           // left_eye_28, right_eye_28, inner, ...
  std::vector<std::pair<int, int>> mapping;   // (main landmark index, part landmark index)
};

struct MainConfig {
  std::string path;                // the main_*.txt itself
  std::string landmark_detector;   // absolute path of the model description file
  std::vector<PartSpec> parts;
  std::string validator;           // absolute path, empty if none
};

struct ModelDescription {
  std::string path;
  std::string pdm;
  std::string triangulations;
  std::vector<std::string> svr_patches;   // one per scale, in scale order
  std::vector<std::string> ccnf_patches;
  std::vector<std::string> cen_patches;
  std::string early_termination;
};

// Both throw ModelNotFoundError for a missing file and ModelFormatError for a
// malformed one (unknown part syntax, odd mapping, no LandmarkDetector line...).
MainConfig read_main_config(const std::string& path);
ModelDescription read_model_description(const std::string& path);

}  // namespace pyfacelm
