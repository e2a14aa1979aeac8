// SPDX-License-Identifier: Apache-2.0
// Attaches and detaches the Enforcer's already-loaded enforcing programs.
// Enforcer::attach() pins its links and the Enforcer has no detach short of
// its destructor (which also unloads and unpins everything); alternating
// "no program" and "Syva attached" in one run needs a cheap detach, so the
// bench makes its own links to the very same programs and maps.
#pragma once

#include <vector>

struct bpf_link;

namespace syva {
class Enforcer;
}

namespace syva::bench {

class ProgramLinks {
 public:
  explicit ProgramLinks(Enforcer& enforcer) : enforcer_(enforcer) {}
  ~ProgramLinks() { detach(); }
  ProgramLinks(const ProgramLinks&) = delete;
  ProgramLinks& operator=(const ProgramLinks&) = delete;

  void attach();  // no-op when attached
  void detach();  // no-op when detached
  bool attached() const { return !links_.empty(); }

 private:
  Enforcer& enforcer_;
  std::vector<bpf_link*> links_;
};

}  // namespace syva::bench
