// SPEC_AU §5: histogram medians, including the first-frame and empty-histogram rules.
#include "au/running_median.hpp"

#include <algorithm>

namespace pyfacelm {

HistogramMedian::HistogramMedian(int dims, int bins, double lo, double hi, bool clip_negative)
    : dims_(dims), bins_(bins), lo_(lo), hi_(hi), clip_negative_(clip_negative) {
  median_ = initial_median();
}

std::vector<double> HistogramMedian::initial_median() const {
  const double w = (hi_ - lo_) / bins_;
  double v = lo_ + w / 2;
  if (clip_negative_ && v < 0) v = 0;
  return std::vector<double>(static_cast<std::size_t>(dims_), v);
}

void HistogramMedian::update(const double* d, bool add) {
  if (!created_) {
    hist_.assign(static_cast<std::size_t>(dims_) * bins_, 0);
    median_bin_.assign(static_cast<std::size_t>(dims_), 0);
    cum_.assign(static_cast<std::size_t>(dims_), 0);
    median_.assign(d, d + dims_);
    created_ = true;
  }
  if (add) {
    for (int i = 0; i < dims_; ++i) {
      double b = (d[i] - lo_) * bins_ / (hi_ - lo_);
      b = std::min(std::max(b, 0.0), static_cast<double>(bins_ - 1));  // NaN never reaches here: inputs are finite
      const int bin = static_cast<int>(b);
      ++hist_[static_cast<std::size_t>(i) * bins_ + bin];
      if (bin <= median_bin_[i]) ++cum_[i];
    }
    ++count_;
  }
  // The median bin is the first bin whose cumulative count reaches (n + 1) / 2.
  const int cutoff = (count_ + 1) / 2;
  for (int i = 0; i < dims_; ++i) {
    const int* h = hist_.data() + static_cast<std::size_t>(i) * bins_;
    int j = median_bin_[i], cum = cum_[i];
    while (cum < cutoff && j < bins_ - 1) cum += h[++j];
    while (j > 0 && cum - h[j] >= cutoff) cum -= h[j--];
    median_bin_[i] = j;
    cum_[i] = cum;
  }
  if (count_ == 1) {
    // The first added frame's descriptor exactly - or, quirk kept, the current one.
    median_.assign(d, d + dims_);
  } else {
    const double w = (hi_ - lo_) / bins_;
    for (int i = 0; i < dims_; ++i) median_[i] = lo_ + median_bin_[i] * w + w / 2;
  }
  if (clip_negative_)
    for (double& v : median_)
      if (v < 0) v = 0;
}

}  // namespace pyfacelm
