// SPDX-License-Identifier: Apache-2.0
// Robust summaries: the VM runs under TCG on a shared host, so single
// samples are noise; medians and percentile ranges are what get reported.
#pragma once

#include <cstddef>
#include <vector>

namespace syva::bench {

struct Summary {
  size_t n = 0;
  double median = 0, p10 = 0, p90 = 0, min = 0, max = 0;
  double mad = 0;  // median absolute deviation from the median
};

// Linear interpolation between closest ranks; `sorted` ascending, non-empty.
double percentile(const std::vector<double>& sorted, double q);
Summary summarize(std::vector<double> samples);

// A distribution-free 95 % confidence interval for the median (binomial
// order statistics): the ranks n/2 ± 0.98·sqrt(n), clamped. Wide when n is
// small, which is the point: it says when the data cannot decide.
struct Interval {
  double low = 0, high = 0;
};
Interval median_ci95(std::vector<double> samples);

}  // namespace syva::bench
