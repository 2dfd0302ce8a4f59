// In-memory form of the patch-expert files, one struct per file kind
// (SPEC §1.6 SVR, §1.7 CCNF, §1.8 CEN, §1.9 early termination, §1.5 triangulations).
// Readers validate structure and sizes; the response code consumes these.
#pragma once

#include <Eigen/Core>
#include <string>
#include <vector>

#include "io/file_readers.hpp"

namespace pyfacelm {

// What every patch-expert file starts with: a scale, views and visibilities.
struct ExpertFileHeader {
  double patch_scaling = 0;
  std::vector<Eigen::Vector3d> view_centers;   // radians (pitch, yaw, roll)
  std::vector<std::vector<int>> visibility;    // [view][landmark], 1 = visible
  int n_landmarks() const { return visibility.empty() ? 0 : static_cast<int>(visibility[0].size()); }
};

// --- SVR (CLM) -----------------------------------------------------------
struct SVRModality {
  int type = 0;  // 0 raw intensity, 1 gradient
  double confidence = 0, scaling = 0, bias = 0;
  RowMatrix<float> weights;  // height x width template
};
struct SVRExpert {
  int width = 0, height = 0;
  std::vector<SVRModality> modalities;
};
struct SVRPatchFile : ExpertFileHeader {
  std::vector<std::vector<SVRExpert>> experts;  // [view][landmark]
};
SVRPatchFile read_svr_patches(const std::string& path);

// --- CCNF (CLNF) ---------------------------------------------------------
struct CCNFNeuron {
  int type = 0;
  double norm_weights = 0, bias = 0, alpha = 0;
  RowMatrix<float> weights;  // height x width
};
struct CCNFExpert {
  int width = 0, height = 0;
  std::vector<CCNFNeuron> neurons;  // empty: landmark not modelled in this view
  std::vector<double> betas;
  double confidence = 0;
};
struct SigmaComponentSet {
  int window = 0;
  std::vector<RowMatrix<float>> components;  // each window^2 x window^2
};
struct CCNFPatchFile : ExpertFileHeader {
  std::vector<SigmaComponentSet> sigma_sets;
  std::vector<std::vector<CCNFExpert>> experts;  // [view][landmark]
};
CCNFPatchFile read_ccnf_patches(const std::string& path);

// --- CEN (CE-CLM) --------------------------------------------------------
struct CENLayer {
  int activation = 0;  // 0 sigmoid, 2 ReLU, otherwise identity
  Eigen::VectorXf bias;
  RowMatrix<float> weights;  // outputs x inputs
};
struct CENExpert {
  int width_support = 0, height_support = 0;
  std::vector<CENLayer> layers;  // empty: invisible or served by mirroring
  double confidence = 0;
};
struct CENPatchFile : ExpertFileHeader {
  std::vector<int> mirror_inds;
  std::vector<int> mirror_views;
  std::vector<std::vector<CENExpert>> experts;  // [view][landmark]
};
CENPatchFile read_cen_patches(const std::string& path);

// --- early termination and triangulations ----------------------------------
struct EarlyTermination {
  std::vector<double> weights, biases, cutoffs;
};
// `n_views` = number of views at scale 0.
EarlyTermination read_early_termination(const std::string& path, int n_views);
std::vector<RowMatrix<int>> read_triangulations(const std::string& path);

}  // namespace pyfacelm
