// SPEC §10: parameter checks and OpenFace's command-line parameter sets.
#include "fitting/detection_parameters.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "common/errors.hpp"

namespace pyfacelm {

namespace {

std::string list_text(const std::vector<int>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

void check_windows(const std::vector<int>& w, const char* name) {
  for (int x : w)
    if (x < 0 || x > DetectionParameters::kMaxWindow || (x > 0 && x % 2 == 0))
      throw InvalidArgument(std::string(name) + " must hold odd window sizes from 1 to " +
                            std::to_string(DetectionParameters::kMaxWindow) + " (or 0 to skip a scale), got " +
                            list_text(w));
  if (std::none_of(w.begin(), w.end(), [](int x) { return x > 0; }))
    throw InvalidArgument(std::string(name) + " must use at least one scale (a window size > 0), got " + list_text(w));
}

void check_number(float v, bool positive, const char* name) {
  if (!std::isfinite(v) || v < 0 || (positive && v == 0))
    throw InvalidArgument(std::string(name) + (positive ? " must be a positive" : " must be a non-negative") +
                          " finite number, got " + std::to_string(v));
}

}  // namespace

void DetectionParameters::validate() const {
  check_windows(window_sizes_init, "window_sizes_init");
  check_windows(window_sizes_small, "window_sizes_small");
  check_number(fit.sigma, true, "sigma");
  check_number(fit.reg_factor, false, "reg_factor");
  check_number(fit.weight_factor, false, "weight_factor");
  if (fit.num_iterations < 1 || fit.num_iterations > kMaxIterations)
    throw InvalidArgument("iterations must be from 1 to " + std::to_string(kMaxIterations) + ", got " +
                          std::to_string(fit.num_iterations));
  if (!(validation_boundary >= 0.f && validation_boundary <= 1.f))
    throw InvalidArgument("validation_boundary must be a number from 0 to 1 (the validator's output range), got " +
                          std::to_string(validation_boundary));
  if (reinit_video_every < 1)
    throw InvalidArgument("reinit_video_every must be at least 1 (frames between re-detection attempts), got " +
                          std::to_string(reinit_video_every));
}

DetectionParameters openface_parameters(bool ceclm, bool wild) {
  DetectionParameters P;
  if (wild) {
    // `-wild`: wider initial windows, NU weighting, more iterations, 11 hypotheses.
    P.window_sizes_init = {15, 13, 11, 11};
    P.fit.sigma = 1.25f;
    P.fit.reg_factor = 35.f;
    P.fit.weight_factor = 2.5f;
    P.fit.num_iterations = 10;
    P.multi_view = true;
  }
  if (ceclm) {
    P.fit.sigma *= 1.5f;
    P.fit.reg_factor *= 0.9f;
  }
  return P;
}

}  // namespace pyfacelm
