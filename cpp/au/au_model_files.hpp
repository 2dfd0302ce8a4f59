// SPEC_AU §2: the action-unit model files - module file (main_*_svms.txt), predictor list
// (AU_all_*.txt), binary linear SVR / SVM files (.dat) and the mask triangulation.
// Every reader raises ModelFormatError naming the file and the byte offset.
#pragma once

#include <Eigen/Core>
#include <string>
#include <vector>

#include "io/file_readers.hpp"

namespace pyfacelm {

// The type word at the start of a .dat file (SPEC_AU §2.3).
enum class AUPredictorKind : int { StaticSVR = 0, DynamicSVR = 1, StaticSVM = 4, DynamicSVM = 5 };

// One linear predictor file: prediction = (x - means [- running median]) . weights + bias.
struct AUPredictorFile {
  AUPredictorKind kind = AUPredictorKind::StaticSVR;
  double cutoff = -1.0;  // dynamic SVR only: quantile of the end-of-sequence offset (-1 = none)
  Eigen::RowVectorXd means;
  Eigen::VectorXd weights;
  double bias = 0.0;
  double pos_label = 1.0, neg_label = 0.0;  // SVMs only
};

AUPredictorFile read_au_predictor(const std::string& path);

// One line of a predictor list: the .dat file (absolute) and the AU names it predicts.
struct AUListEntry {
  std::string path;
  std::vector<std::string> names;
};

std::vector<AUListEntry> read_au_list(const std::string& path);

// The three files a module file names (absolute paths).
struct AUModuleFile {
  std::string predictor_list, pdm, triangulation;
};

AUModuleFile read_au_module(const std::string& path);

// tris_68_full.txt: a plain text matrix (rows x 3, int) without comment skipping;
// indices are checked against n_points (pass < 0 to skip the check).
RowMatrix<int> read_au_triangulation(const std::string& path, int n_points = -1);

}  // namespace pyfacelm
