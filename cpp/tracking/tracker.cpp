// SPEC §9.2 (per-frame single-face procedure) and §9.3 (multi-face driver).
#include "tracking/tracker.hpp"

#include <algorithm>

#include "common/errors.hpp"

namespace pyfacelm {

Tracker::Tracker(const CLNF& model, const MTCNN* detector, int max_faces, DetectionParameters params)
    : model_(&model), detector_(detector), max_faces_(max_faces), params_(std::move(params)) {
  params_.validate();
  reset();
}

void Tracker::reset() {
  faces_.clear();
  if (max_faces_ == 1) {
    faces_.emplace_back();
    faces_[0].id = 0;
  }
  frame_count_ = 0;
  next_id_ = max_faces_ == 1 ? 1 : 0;
  rows_ = cols_ = -1;
  event_ = TrackEvent{};
}

std::vector<FaceBox> Tracker::detect(const ImageView& frame) const {
  if (detector_ == nullptr) throw ModelNotFoundError("tracking needs the MTCNN face detector, which is not loaded");
  return detector_->detect(frame);
}

// §9.2. `box` (multi-face driver) re-initialises the face from a detection first.
bool Tracker::track_single(const ImageView& frame, const GrayImage& gray, TrackedFace& f,
                           const std::optional<Eigen::Vector4d>& box, int reinit_every, double box_score) {
  const LandmarkModel& main = model_->main();
  if (box) {
    f.fit.main.p = Eigen::VectorXf::Zero(main.pdm().n_modes());
    f.fit.main.g = main.pdm().params_from_box(*box, f.fit.main.p, Vec3<float>::Zero());
    f.tracking_initialised = true;
    f.start_box = *box;
    f.detection_score = box_score;
  }
  const bool initial = !f.tracking_initialised;
  if (f.tracking_initialised) {
    event_.tracking_step = true;
    if (!box) f.start_box = main.pdm().bounding_box(f.fit.main.g, f.fit.main.p).cast<double>();
    const auto& windows = f.fit.detection_success ? params_.window_sizes_small : params_.window_sizes_init;
    const bool ok = model_->detect_landmarks(gray, windows, params_, f.fit);
    f.failures_in_a_row = ok ? -1 : f.failures_in_a_row + 1;
  }
  const bool redetect =
      (!f.tracking_initialised && reinit_every > 0 && (f.failures_in_a_row + 1) % (6 * reinit_every) == 0) ||
      (f.tracking_initialised && !f.fit.detection_success && reinit_every > 0 &&
       f.failures_in_a_row % reinit_every == 0);
  if (redetect) {
    event_.redetect_attempted = true;
    const std::vector<FaceBox> boxes = detect(frame);
    if (!boxes.empty()) {
      event_.face_found = true;
      // The widest face (first on ties).
      std::size_t best = 0;
      for (std::size_t i = 1; i < boxes.size(); ++i)
        if (boxes[i].w > boxes[best].w) best = i;
      const Eigen::Vector4d b(boxes[best].x, boxes[best].y, boxes[best].w, boxes[best].h);
      f.tracking_initialised = true;
      const FaceFit saved = f.fit;
      DetectionParameters P = params_;
      P.multi_view = true;
      FaceFit fitted = model_->fit_image(gray, b, P);
      const bool ok2 = fitted.returned_success;
      if (!initial && !ok2) {
        // Quirk kept (SPEC §9.2): the previous state comes back, the failed flag stays.
        f.fit = saved;
        f.fit.detection_success = fitted.detection_success;
        event_.restored_previous = true;
        return false;
      }
      f.fit = std::move(fitted);
      f.start_box = b;
      f.detection_score = boxes[best].score;
      f.failures_in_a_row = -1;
      return true;  // even when the validator rejected the first detection (SPEC §9.2)
    }
  }
  if (!f.tracking_initialised) f.failures_in_a_row += 1;
  if (f.failures_in_a_row > 100) f.tracking_initialised = false;
  return f.fit.detection_success;
}

std::vector<TrackedResult> Tracker::update(const ImageView& frame) {
  to_gray_into(frame, gray_);
  return update(frame, gray_);
}

std::vector<TrackedResult> Tracker::update(const ImageView& frame, const GrayImage& gray) {
  if (rows_ < 0) {
    rows_ = frame.rows;
    cols_ = frame.cols;
  } else if (frame.rows != rows_ || frame.cols != cols_) {
    throw InvalidArgument("frame size changed from " + std::to_string(cols_) + "x" + std::to_string(rows_) + " to " +
                          std::to_string(frame.cols) + "x" + std::to_string(frame.rows) +
                          " within one stream; call reset() (or use a new tracker) for a new stream");
  }
  event_ = TrackEvent{};
  std::vector<TrackedResult> out;
  if (max_faces_ == 1) {
    TrackedFace& f = faces_[0];
    const bool ok = track_single(frame, gray, f, std::nullopt, params_.reinit_video_every);
    if (f.tracking_initialised) out.push_back({&f, ok});
    ++frame_count_;
    return out;
  }

  // §9.3: detection every 8th frame while a slot is free; detections overlapping a
  // tracked face are dropped (with the original's doubled-intersection overlap).
  const bool has_free = max_faces_ <= 0 || static_cast<int>(std::count_if(faces_.begin(), faces_.end(), [](const TrackedFace& t) {
                                             return t.active;
                                           })) < max_faces_;
  std::vector<FaceBox> detections;
  if (frame_count_ % 8 == 0 && has_free) {
    event_.redetect_attempted = true;
    detections = detect(frame);
    event_.face_found = !detections.empty();
  }
  std::vector<char> used(detections.size(), 0);
  // A face whose last fit failed restarts from the detection that overlaps it most, keeping
  // its id (OpenFace drops such a detection and, a few failures later, the face).
  std::vector<int> restart(faces_.size(), -1);
  std::vector<double> restart_overlap(faces_.size(), 0.0);
  for (std::size_t k = 0; k < faces_.size(); ++k) {
    const TrackedFace& t = faces_[k];
    if (!t.active) continue;
    const int n = model_->main().n_points();
    const auto& L = t.fit.main.landmarks;
    const double x0 = L.head(n).minCoeff(), x1 = L.head(n).maxCoeff(), y0 = L.tail(n).minCoeff(), y1 = L.tail(n).maxCoeff();
    const double area_b = (x1 - x0) * (y1 - y0);
    for (std::size_t d = 0; d < detections.size(); ++d) {
      const auto& D = detections[d];
      const double iw = std::min(x1, D.x + D.w) - std::max(x0, D.x), ih = std::min(y1, D.y + D.h) - std::max(y0, D.y);
      const double inter = (iw > 0 && ih > 0) ? iw * ih : 0;
      const double denom = area_b + D.w * D.h - 2 * inter;
      const bool overlaps = (denom > 0 && inter / denom > 0.5) || (denom <= 0 && inter > 0);
      if (overlaps) used[d] = 1;
      const double overlap = denom > 0 ? inter / denom : 1e300;
      if (overlaps && !t.fit.detection_success && overlap > restart_overlap[k]) {
        restart[k] = static_cast<int>(d);
        restart_overlap[k] = overlap;
      }
    }
  }
  for (std::size_t k = 0; k < faces_.size(); ++k)  // one face per detection: the first claims it
    for (std::size_t j = 0; j < k; ++j)
      if (restart[k] >= 0 && restart[j] == restart[k]) restart[k] = -1;
  // Deactivate faces lost for more than 4 frames.
  for (std::size_t k = 0; k < faces_.size(); ++k)
    if (faces_[k].active && faces_[k].failures_in_a_row > 4 && restart[k] < 0) faces_[k] = TrackedFace{};
  auto take_detection = [&](TrackedFace& t) {
    for (std::size_t d = 0; d < detections.size(); ++d) {
      if (used[d]) continue;
      used[d] = 1;
      t = TrackedFace{};
      t.active = true;
      t.id = next_id_++;
      const Eigen::Vector4d b(detections[d].x, detections[d].y, detections[d].w, detections[d].h);
      const bool ok = track_single(frame, gray, t, b, -1, detections[d].score);
      return std::optional<bool>(ok);
    }
    return std::optional<bool>();
  };
  std::vector<std::pair<std::size_t, bool>> results;  // (slot, value returned for this frame)
  for (std::size_t k = 0; k < faces_.size(); ++k) {
    TrackedFace& t = faces_[k];
    if (t.active && restart[k] >= 0) {
      const FaceBox& D = detections[static_cast<std::size_t>(restart[k])];
      results.emplace_back(k, track_single(frame, gray, t, Eigen::Vector4d(D.x, D.y, D.w, D.h), -1, D.score));
    } else if (t.active) {
      results.emplace_back(k, track_single(frame, gray, t, std::nullopt, -1));
    } else if (auto ok = take_detection(t)) {
      results.emplace_back(k, *ok);
    }
  }
  // No cap (or a cap not yet reached): remaining detections start new slots.
  while ((max_faces_ <= 0 || static_cast<int>(faces_.size()) < max_faces_) &&
         std::find(used.begin(), used.end(), 0) != used.end()) {
    faces_.emplace_back();
    const std::size_t k = faces_.size() - 1;
    if (auto ok = take_detection(faces_[k])) results.emplace_back(k, *ok);
  }
  for (const auto& [k, ok] : results)
    if (faces_[k].active) out.push_back({&faces_[k], ok});
  ++frame_count_;
  return out;
}

}  // namespace pyfacelm
