// SPEC_AU §5: the person-specific running median, approximated with one fixed-bin histogram
// per descriptor dimension.
#pragma once

#include <vector>

namespace pyfacelm {

class HistogramMedian {
 public:
  // `clip_negative`: the HOG variant sets negative medians to 0 after every update.
  HistogramMedian(int dims, int bins, double lo, double hi, bool clip_negative);

  // One update with descriptor d (dims values); the frame enters the histogram iff `add`.
  void update(const double* d, bool add);

  const std::vector<double>& median() const { return median_; }
  int count() const { return count_; }
  int dims() const { return dims_; }
  // The medians the original reports before any update (bin-0 centres, clipped).
  std::vector<double> initial_median() const;

 private:
  int dims_, bins_;
  double lo_, hi_;
  bool clip_negative_;
  bool created_ = false;
  int count_ = 0;
  std::vector<int> hist_;  // dims x bins
  // Per dimension: the median bin and the count up to and including it, kept up to date
  // incrementally (the count target moves by at most one per update), so an update costs
  // O(dims) instead of a scan of every histogram.
  std::vector<int> median_bin_, cum_;
  std::vector<double> median_;
};

}  // namespace pyfacelm
