// SPDX-License-Identifier: Apache-2.0
// The empty BPF-LSM programs (ebpf/bench_empty.bpf.c) on the hooks Syva's
// loaded enforcing programs use: the floor of any BPF-LSM design. Loading
// checks that the hooks are exactly Syva's on this kernel, so the floor is
// never measured on other hooks than the figures it is compared with.
#pragma once

#include <string>
#include <vector>

struct bench_empty_bpf;
struct bpf_link;

namespace syva {
class Enforcer;
}

namespace syva::bench {

class EmptyPrograms {
 public:
  // Throws std::runtime_error naming the hooks that differ.
  explicit EmptyPrograms(Enforcer& syva);
  ~EmptyPrograms();
  EmptyPrograms(const EmptyPrograms&) = delete;
  EmptyPrograms& operator=(const EmptyPrograms&) = delete;

  void attach();  // no-op when attached
  // Only the programs on `hooks` (names as in "lsm/<hook>"), for telling
  // the hooks' shares of the floor apart. No-op when attached.
  void attach_only(const std::vector<std::string>& hooks);
  void detach();  // no-op when detached
  size_t hooks() const { return hooks_.size(); }

 private:
  bench_empty_bpf* skel_ = nullptr;
  std::vector<std::string> hooks_;
  std::vector<bpf_link*> links_;
};

}  // namespace syva::bench
