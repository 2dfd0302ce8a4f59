// Patch experts of one landmark model, all scales: loading (with everything a
// response needs precomputed, except the CCNF Sigma factors, which are factorised once on
// first use; loaded models are logically immutable and shareable across threads) and the
// per-landmark response maps (SPEC §3).
#pragma once

#include <Eigen/Core>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "io/cnn_files.hpp"
#include "io/expert_files.hpp"
#include "image/image.hpp"

namespace pyfacelm {

using ResponseMap = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;  // win x win, (y, x)

// The lower Cholesky factor of one window's Sigma^-1 (win^2 x win^2), factorised on first use:
// a model has a factor per expert, view and scale, yet a fit needs only its views' ones, and a
// load that factorised them all took most of CLNF's load time. std::call_once makes the first
// use thread-safe and later reads lock-free (one acquire load).
struct SigmaSlot {
  mutable std::once_flag once;
  mutable Eigen::MatrixXf factor;
};

// A CCNF expert ready to evaluate (SPEC §3.5).
struct CCNFResponder {
  int width = 0, height = 0;
  RowMatrix<float> weights;      // K x (1 + w*h): [bias, norm_weight * template (row by row)]
  Eigen::VectorXf two_alpha;     // 2 * alpha of the neurons with alpha > 1e-4, matching `weights` rows
  double alpha_sum = 0;          // over all neurons (enters Sigma)
  std::vector<double> betas;
  // window -> its Sigma factor slot; shared by experts with identical CRF parameters (the
  // mirrored views of a file). The windows are fixed at load.
  std::shared_ptr<const std::map<int, SigmaSlot>> sigma;
  double confidence = 0;
  int n_neurons = 0;
  bool empty() const { return n_neurons == 0; }
  // aoi: (win + h - 1) x (win + w - 1) row-major; out: win x win. The AVX2 `kernel`
  // normalises the windows with identical results.
  void response(const float* aoi, int win, ResponseMap& out, const std::vector<SigmaComponentSet>& sets,
                GemmKernel kernel = GemmKernel::Baseline) const;
  // The Sigma factor of window `win`: the shared slot's (factorised on its first use), or, for
  // a window without a slot, computed into `local`. Throws ModelFormatError when Sigma^-1 is
  // not positive definite.
  const Eigen::MatrixXf& sigma_factor(int win, const std::vector<SigmaComponentSet>& sets, Eigen::MatrixXf& local) const;
};

// An SVR expert (SPEC §3.4).
struct SVRResponder {
  int width = 0, height = 0;
  std::vector<SVRModality> modalities;
  double confidence = 0;  // sum of modality confidences
  void response(const float* aoi, int win, ResponseMap& out, GemmKernel kernel = GemmKernel::Baseline) const;
};

// A CEN expert (SPEC §3.6).
struct CENResponder {
  int width = 0, height = 0;
  std::vector<CENLayer> layers;
  double confidence = 0;
  bool empty() const { return layers.empty(); }
};

enum class ExpertKind { SVR, CCNF, CEN };

struct ScaleExperts {
  ExpertKind kind = ExpertKind::CCNF;
  double patch_scaling = 0;
  std::vector<Eigen::Vector3d> view_centers;
  std::vector<std::vector<int>> visibility;           // [view][landmark]
  std::vector<std::vector<CCNFResponder>> ccnf;       // [view][landmark]
  std::vector<SigmaComponentSet> sigma_sets;
  std::vector<std::vector<SVRResponder>> svr;
  std::vector<std::vector<CENResponder>> cen;
  std::vector<int> mirror_inds, mirror_views;
  int support(int view, int landmark) const;
  double confidence(int view, int landmark) const;
};

class PatchExperts {
 public:
  // Loads the patch files of a model description. `windows[scale]` lists the
  // response window sizes whose CCNF Sigma factors are kept (factorised on first use);
  // `kernel` is the instruction set the responses use (AVX2 only where simd::has_avx2_fma() holds).
  static PatchExperts load(const std::vector<std::string>& svr, const std::vector<std::string>& ccnf,
                           const std::vector<std::string>& cen, const std::vector<std::vector<int>>& windows,
                           GemmKernel kernel = GemmKernel::Baseline);
  GemmKernel kernel() const { return kernel_; }

  int n_scales() const { return static_cast<int>(scales_.size()); }
  ExpertKind kind() const { return scales_.empty() ? ExpertKind::CCNF : scales_[0].kind; }
  const ScaleExperts& scale(int s) const { return scales_[static_cast<std::size_t>(s)]; }
  double patch_scaling(int s) const { return scale(s).patch_scaling; }
  int n_views(int s) const { return static_cast<int>(scale(s).view_centers.size()); }
  // §3.1: nearest view centre (squared Euclidean over the three angles, first wins).
  int view_index(int s, double rx, double ry, double rz) const;
  bool visible(int s, int view, int landmark) const { return scale(s).visibility[view][landmark] != 0; }

  // §3.3-3.6: response maps of all landmarks visible in (scale, view), sampled
  // around `landmarks` (2n, image pixels) with the similarity ref->img `B`.
  // Invisible landmarks get an empty map.
  void responses(int s, int view, const GrayImage& image, const Eigen::VectorXf& landmarks,
                 const Eigen::Matrix2f& ref_to_img, int win, std::vector<ResponseMap>& out) const;

 private:
  std::vector<ScaleExperts> scales_;
  GemmKernel kernel_ = GemmKernel::Baseline;
};

}  // namespace pyfacelm
