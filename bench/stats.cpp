// SPDX-License-Identifier: Apache-2.0
#include "stats.h"

#include <algorithm>
#include <cmath>

namespace syva::bench {

double percentile(const std::vector<double>& sorted, double q) {
  if (sorted.size() == 1) return sorted[0];
  const double pos = q * (sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

Summary summarize(std::vector<double> v) {
  Summary s;
  s.n = v.size();
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.median = percentile(v, 0.5);
  s.p10 = percentile(v, 0.1);
  s.p90 = percentile(v, 0.9);
  s.min = v.front();
  s.max = v.back();
  std::vector<double> dev;
  dev.reserve(v.size());
  for (double x : v) dev.push_back(std::fabs(x - s.median));
  std::sort(dev.begin(), dev.end());
  s.mad = percentile(dev, 0.5);
  return s;
}

Interval median_ci95(std::vector<double> v) {
  Interval ci;
  if (v.empty()) return ci;
  std::sort(v.begin(), v.end());
  const double n = v.size(), half = 0.98 * std::sqrt(n);
  const long lo = std::max(0L, static_cast<long>(std::floor(n / 2 - half)));
  const long hi = std::min(static_cast<long>(n) - 1, static_cast<long>(std::ceil(n / 2 + half)) - 1);
  ci.low = v[lo];
  ci.high = v[std::max(lo, hi)];
  return ci;
}

}  // namespace syva::bench
