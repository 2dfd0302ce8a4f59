// Video tracking with OpenFace's semantics (SPEC §9): the previous frame
// initialises the next, small windows after a success, validation, periodic
// re-detection; and a multi-face driver without a cap on the number of faces.
#pragma once

#include <limits>
#include <optional>
#include <vector>

#include "fitting/clnf.hpp"
#include "detection/mtcnn.hpp"

namespace pyfacelm {

// One tracked face: the model state OpenFace keeps in its CLNF object (§9.1).
struct TrackedFace {
  FaceFit fit;
  bool tracking_initialised = false;
  int failures_in_a_row = -1;
  int id = -1;
  bool active = false;  // multi-face driver
  // (x, y, w, h) the last fit started from: the detection box on a (re)detection, else the
  // box of the previous frame's shape, which a tracking step starts from.
  Eigen::Vector4d start_box = Eigen::Vector4d::Zero();
  // MTCNN score of the detection the face was last (re)started from; NaN before any.
  double detection_score = std::numeric_limits<double>::quiet_NaN();
};

struct TrackEvent {
  bool tracking_step = false;
  bool redetect_attempted = false;
  bool face_found = false;
  bool restored_previous = false;
};

struct TrackedResult {
  const TrackedFace* face;
  bool success;  // what the per-frame call returned
};

class Tracker {
 public:
  // max_faces = 1: OpenFace's single-face video mode (FeatureExtraction, FaceLandmarkVid).
  // max_faces != 1: the multi-face driver (FaceLandmarkVidMulti) with at most max_faces
  // faces, or no limit when max_faces <= 0.
  Tracker(const CLNF& model, const MTCNN* detector, int max_faces, DetectionParameters params);

  // Processes one frame (the colour view is used for detection, `gray` for fitting).
  std::vector<TrackedResult> update(const ImageView& frame, const GrayImage& gray);
  // The same, converting the frame to gray (SPEC §12.2) into a buffer the tracker keeps: a
  // stream's frames share one size, so the buffer is allocated once, not per frame.
  std::vector<TrackedResult> update(const ImageView& frame);
  void reset();
  const TrackEvent& last_event() const { return event_; }

 private:
  bool track_single(const ImageView& frame, const GrayImage& gray, TrackedFace& f, const std::optional<Eigen::Vector4d>& box,
                    int reinit_every, double box_score = std::numeric_limits<double>::quiet_NaN());
  std::vector<FaceBox> detect(const ImageView& frame) const;

  const CLNF* model_;
  const MTCNN* detector_;
  int max_faces_;
  DetectionParameters params_;
  std::vector<TrackedFace> faces_;
  long long frame_count_ = 0;
  int next_id_ = 0;
  int rows_ = -1, cols_ = -1;
  TrackEvent event_;
  GrayImage gray_;  // scratch of update(frame), reused across frames
};

}  // namespace pyfacelm
