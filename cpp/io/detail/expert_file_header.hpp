// Internal: parsing of the header shared by the patch-expert files.
#pragma once

#include "io/expert_files.hpp"

namespace pyfacelm {

constexpr int kMaxLandmarks = 1000;
constexpr int kMaxSupport = 64;  // width/height of a patch expert template

void read_binary_header(BinaryReader& in, ExpertFileHeader& h, int max_landmarks = kMaxLandmarks);
void read_text_header(TextReader& in, ExpertFileHeader& h, int max_landmarks = kMaxLandmarks);

}  // namespace pyfacelm
