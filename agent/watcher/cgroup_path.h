// SPDX-License-Identifier: Apache-2.0
// Which cgroup a container's processes are in, the way the kernel programs
// will see it: the cgroup2 directory of the init process and that
// directory's inode number (the cgroup id BPF's bpf_get_current_cgroup_id
// returns).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace syva {

// The cgroup2 path from the text of /proc/PID/cgroup: its "0::" line. Pure
// v2 hosts have only that line; hybrid hosts list it after the v1
// controllers. nullopt when there is none (a v1-only host) or when the
// cgroup has been removed (the kernel appends " (deleted)").
std::optional<std::string> cgroup2_path(std::string_view proc_pid_cgroup);

// The directory of a cgroup2 path under the cgroup2 mount. /proc/PID/cgroup
// paths are relative to the reader's cgroup namespace, and so is the
// reader's own cgroup2 mount: joining the two is right inside a container
// with a private cgroup namespace as well as on the host.
std::string cgroup2_dir(std::string_view mount, std::string_view path);

struct ProcessCgroup {
  std::string path;  // as /proc/PID/cgroup names it, e.g. /default/c1
  std::string dir;   // e.g. /sys/fs/cgroup/unified/default/c1
  uint64_t id = 0;   // the directory's inode number
};

// Throws std::runtime_error naming the cause when the process is gone or
// its cgroup cannot be found.
ProcessCgroup cgroup_of_pid(pid_t pid, const std::string& cgroup2_mount);

// The cgroup2 path a runtime puts a container in, from its OCI spec's
// linux.cgroupsPath: a path ("/default/c1") as runc's cgroupfs driver takes
// it, or runc's systemd form "SLICE:PREFIX:NAME" ("kubepods-besteffort-
// podX.slice:cri-containerd:ID" is /kubepods.slice/kubepods-besteffort.slice/
// kubepods-besteffort-podX.slice/cri-containerd-ID.scope). nullopt for an
// empty or relative value, whose place depends on the runtime's own cgroup.
std::optional<std::string> cgroup_path_of_spec(std::string_view cgroups_path);

// The cgroup at a cgroup2 path. Throws std::runtime_error when it is gone.
ProcessCgroup cgroup_at(const std::string& path, const std::string& cgroup2_mount);

// Whether any process is still in the cgroup2 directory `dir` (its
// cgroup.events says "populated 1"); false once it is empty or gone.
bool cgroup_populated(const std::string& dir);

}  // namespace syva
