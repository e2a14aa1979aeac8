// SPDX-License-Identifier: Apache-2.0
// A zoned container's writable layer, as the node's filesystem holds it.
// Owning the overlay rootfs by its superblock covers the container's files
// as seen through the overlay, but the same inodes also sit in a directory
// of the node: containerd's overlay snapshotter mounts the rootfs with
// upperdir=<state>/snapshots/N/fs and workdir=<state>/snapshots/N/work, and
// copy-up goes through the workdir. A process of another zone that sees
// that directory (a hostPath mount of containerd's state) would reach them
// there. So the two directories, and everything already in them, are owned
// by the container's zone as the kernel owns a file made in an owned
// directory (inherited entries): what the container makes later inherits
// its directory's owner in the kernel, a policy change keeps the entries
// while the zone keeps its id, and an entry goes when its file is deleted
// or when the container leaves its zone.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "watcher/membership_sink.h"
#include "watcher/rootfs_coverage.h"

namespace syva {

struct WritableLayer {
  enum class Kind {
    none,     // no layer of the node's to own: not an overlay, or a read-only one
    found,    // upper and work below
    unknown,  // an overlay whose layer could not be read: `error` says why
  };
  Kind kind = Kind::none;
  std::string upper;  // as the mounter named them, in its mount namespace
  std::string work;
  // "/proc/PID/root" of a process in the mounter's mount namespace (the
  // container's shim, else the node's PID 1): the paths resolve below it
  // whether the agent shares that namespace (systemd, nsenter) or not (a pod).
  std::string view;
  std::string error;
};

// Read from /proc/PID/mountinfo of the container's init: the overlay mounted
// at its "/" whose device is the rootfs's.
WritableLayer writable_layer_of(pid_t pid, const RootfsCoverage& rootfs);

// For log lines: upper="..." work="..." (escaped), or why there is none.
std::string describe(const WritableLayer& layer);

// Who a layer is owned for.
struct LayerOwner {
  std::string ns;
  std::string container_id;
  std::string zone;
  uint32_t zone_id = 0;
};

// Files owned per container layer at most; beyond it the rest stays
// unowned, said loudly and in `syva status`.
inline constexpr size_t kWritableLayerInodes = 65536;

// The layers owned now, per container. Only the watcher's thread calls it
// (under the watcher's table lock).
class WritableLayers {
 public:
  explicit WritableLayers(MembershipSink& sink, size_t max_inodes = kWritableLayerInodes)
      : sink_(sink), max_inodes_(max_inodes) {}

  // Owns the layer for `who`: each directory before its entries are read,
  // so a file made meanwhile either is read or inherits. A layer already
  // owned for the same zone is left alone. Failures are logged and reported
  // to the sink; what could be owned stays owned.
  void own(const LayerOwner& who, const WritableLayer& layer);
  // Gives back what was owned for the container (entries of its zone only).
  void release(const std::string& ns, const std::string& container_id, std::string_view reason);
  // Afterwards exactly `running` are owned.
  void reconcile(const std::vector<std::pair<LayerOwner, WritableLayer>>& running);

 private:
  using Key = std::pair<std::string, std::string>;  // namespace, container id
  struct Owned {
    LayerOwner who;
    WritableLayer layer;
  };
  void disown(const Owned& owned, std::string_view reason);

  MembershipSink& sink_;
  size_t max_inodes_;
  std::map<Key, Owned> owned_;
};

}  // namespace syva
