// SPDX-License-Identifier: Apache-2.0
#include "enforcer/libbpf_log.h"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <vector>

#include <spdlog/spdlog.h>

namespace syva {

namespace {

std::mutex g_libbpf_mutex;
std::vector<std::string> g_libbpf_warnings;

int libbpf_to_spdlog(enum libbpf_print_level level, const char* format, va_list args) {
  // Verifier logs come as one long message: size the buffer to it.
  va_list measure;
  va_copy(measure, args);
  const int size = vsnprintf(nullptr, 0, format, measure);
  va_end(measure);
  std::string line(size > 0 ? size : 0, '\0');
  vsnprintf(line.data(), line.size() + 1, format, args);
  while (!line.empty() && line.back() == '\n') line.pop_back();
  if (line.starts_with("libbpf: ")) line.erase(0, 8);
  if (level == LIBBPF_WARN) {
    std::lock_guard lock(g_libbpf_mutex);
    g_libbpf_warnings.push_back(line);
  }
  spdlog::debug("libbpf: {}", line);
  return 0;
}

}  // namespace

void capture_libbpf_log() {
  libbpf_set_print(libbpf_to_spdlog);
  std::lock_guard lock(g_libbpf_mutex);
  g_libbpf_warnings.clear();
}

std::string libbpf_failure_detail() {
  std::lock_guard lock(g_libbpf_mutex);
  for (const auto& w : g_libbpf_warnings)
    if (w.find("failed") != std::string::npos) return w;
  return g_libbpf_warnings.empty() ? "" : g_libbpf_warnings.back();
}

std::vector<std::string> libbpf_warnings() {
  std::lock_guard lock(g_libbpf_mutex);
  return g_libbpf_warnings;
}

}  // namespace syva
