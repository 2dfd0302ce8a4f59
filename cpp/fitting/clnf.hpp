// A complete detector as described by a main_*.txt file: main landmark model,
// hierarchical part models, validator and (CE-CLM) early termination; and the
// detection passes of image mode (SPEC §5, §8).
#pragma once

#include <Eigen/Core>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "io/expert_files.hpp"
#include "fitting/detection_parameters.hpp"
#include "fitting/landmark_model.hpp"
#include "fitting/validator.hpp"

namespace pyfacelm {

struct PartModel {
  std::string name;
  LandmarkModel model;
  std::vector<std::pair<int, int>> mapping;  // (main index, part index)
  FitParameters params;
  std::vector<int> window_sizes;
};

// What one detection leaves behind (OpenFace keeps it in the CLNF object).
struct FaceFit {
  FitState main;
  std::vector<FitState> parts;   // one per part model, in file order
  bool detection_success = false;
  float detection_certainty = 0.f;
  bool returned_success = false; // what the detection call returned (differs only in CE-CLM quirks)
};

class CLNF {
 public:
  // `window_sets` lists further window-size lists (e.g. a caller's DetectionParameters)
  // whose per-window expert data is kept (computed at load or on first use), besides the
  // defaults'; a fit with any other window computes it per call (same result, slower).
  static CLNF load(const std::string& main_file, const std::vector<std::vector<int>>& window_sets = {});

  const std::string& path() const { return path_; }
  const LandmarkModel& main() const { return main_; }
  const std::vector<PartModel>& parts() const { return parts_; }
  bool has_validator() const { return validator_.has_value(); }
  bool has_early_termination() const { return early_termination_.has_value(); }
  const std::optional<Validator>& validator() const { return validator_; }
  // Defaults of the command-line constructor for this model (SPEC §10.2-10.3).
  const DetectionParameters& default_parameters() const { return defaults_; }
  // Index of a named part, -1 if absent.
  int part_index(const std::string& name) const;

  // §5.1: one pass from the current state in `face` with the given windows.
  bool detect_landmarks(const GrayImage& gray, const std::vector<int>& windows, const DetectionParameters& P,
                        FaceFit& face) const;
  // §8.2-8.4: image mode from a face box (x, y, w, h).
  FaceFit fit_image(const GrayImage& gray, const Eigen::Vector4d& box, const DetectionParameters& P) const;

 private:
  void refine_parts(const GrayImage& gray, FaceFit& face) const;
  FaceFit fit_image_basic(const GrayImage& gray, const Eigen::Vector4d& box, const DetectionParameters& P,
                          const std::vector<Eigen::Vector3f>& hypotheses) const;
  FaceFit fit_image_early_term(const GrayImage& gray, const Eigen::Vector4d& box, const DetectionParameters& P,
                               const std::vector<Eigen::Vector3f>& hypotheses) const;
  FaceFit initial_state(const Eigen::Vector4d& box, const Eigen::Vector3f& rotation) const;

  std::string path_;
  LandmarkModel main_;
  std::vector<PartModel> parts_;
  std::optional<Validator> validator_;
  std::optional<EarlyTermination> early_termination_;
  DetectionParameters defaults_;
};

// §2.10: the rotation hypotheses of multi-view fitting, in order.
const std::vector<Eigen::Vector3f>& multi_view_rotations();

}  // namespace pyfacelm
