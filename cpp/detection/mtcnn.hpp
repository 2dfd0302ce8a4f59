// OpenFace's MTCNN face detector (SPEC §7): PNet over an image pyramid, then
// RNet and ONet on the surviving boxes, and OpenFace's final box mapping.
#pragma once

#include <string>
#include <vector>

#include "io/cnn_files.hpp"
#include "image/image.hpp"

namespace pyfacelm {

struct FaceBox {
  double x = 0, y = 0, w = 0, h = 0;  // the box the landmark fitter expects (after the correction)
  double score = 0;                   // ONet probability
};

struct MTCNNSettings {
  double min_face = 60;
  float t1 = 0.6f, t2 = 0.7f, t3 = 0.7f;
};

class MTCNN {
 public:
  static MTCNN load(const std::string& detector_file);  // MTCNN_detector.txt
  // All faces in OpenFace's order (descending ONet score). Gray views are used as
  // if converted to RGB (three equal channels).
  std::vector<FaceBox> detect(const ImageView& image, const MTCNNSettings& s = {}) const;

 private:
  MTCNNFiles nets_;
};

}  // namespace pyfacelm
