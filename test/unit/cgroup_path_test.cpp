// SPDX-License-Identifier: Apache-2.0
// /proc/PID/cgroup as it reads on the hosts Syva runs on: pure v2, hybrid
// (v1 controllers plus cgroup2 at /sys/fs/cgroup/unified), and Kubernetes
// nodes with the cgroupfs and the systemd drivers.
#include <catch2/catch.hpp>
#include <unistd.h>

#include "enforcer/kernel_ids.h"
#include "support/files.h"
#include "watcher/cgroup_path.h"

using namespace syva;

TEST_CASE("pure cgroup v2: the only line is the path", "[cgroup]") {
  CHECK(*cgroup2_path("0::/default/c1\n") == "/default/c1");
  CHECK(*cgroup2_path("0::/\n") == "/");
  CHECK(*cgroup2_path("0::/no/trailing/newline") == "/no/trailing/newline");
}

TEST_CASE("hybrid: the 0:: line among the v1 controllers", "[cgroup]") {
  // Recorded inside a `ctr run` container on this machine kind.
  const char* text = "9:name=systemd:/default/c1\n8:pids:/default/c1\n7:blkio:/default/c1\n6:freezer:/default/c1\n"
                     "5:devices:/default/c1\n4:memory:/default/c1\n3:cpuset:/default/c1\n2:cpuacct:/default/c1\n"
                     "1:cpu:/default/c1\n0::/default/c1\n";
  CHECK(*cgroup2_path(text) == "/default/c1");
  // v1 paths may differ from the v2 one: only the 0:: line counts.
  CHECK(*cgroup2_path("4:memory:/elsewhere\n0::/mine\n1:cpu:/other\n") == "/mine");
}

TEST_CASE("Kubernetes paths, systemd and cgroupfs drivers", "[cgroup]") {
  const char* systemd = "0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6c1f2d3e_4a5b.slice/"
                        "cri-containerd-9e8d7c6b5a.scope\n";
  CHECK(*cgroup2_path(systemd) == "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod6c1f2d3e_4a5b.slice/"
                                  "cri-containerd-9e8d7c6b5a.scope");
  const char* cgroupfs_hybrid = "12:memory:/kubepods/besteffort/pod6c1f2d3e-4a5b/9e8d7c6b5a\n"
                                "1:name=systemd:/kubepods/besteffort/pod6c1f2d3e-4a5b/9e8d7c6b5a\n"
                                "0::/kubepods/besteffort/pod6c1f2d3e-4a5b/9e8d7c6b5a\n";
  CHECK(*cgroup2_path(cgroupfs_hybrid) == "/kubepods/besteffort/pod6c1f2d3e-4a5b/9e8d7c6b5a");
}

TEST_CASE("no cgroup2 line, or a removed cgroup, gives nothing", "[cgroup]") {
  CHECK_FALSE(cgroup2_path(""));
  CHECK_FALSE(cgroup2_path("4:memory:/a\n1:cpu:/a\n"));  // v1 only
  CHECK_FALSE(cgroup2_path("0::/default/c1 (deleted)\n"));
  CHECK_FALSE(cgroup2_path("10::/looks/like/v2\n"));  // hierarchy 10, not 0
}

TEST_CASE("the directory is the path under the cgroup2 mount", "[cgroup]") {
  CHECK(cgroup2_dir("/sys/fs/cgroup", "/kubepods.slice/x.scope") == "/sys/fs/cgroup/kubepods.slice/x.scope");
  CHECK(cgroup2_dir("/sys/fs/cgroup/unified/", "/default/c1") == "/sys/fs/cgroup/unified/default/c1");
  CHECK(cgroup2_dir("/sys/fs/cgroup/unified", "/") == "/sys/fs/cgroup/unified");
}

TEST_CASE("this process's cgroup id is the inode of its cgroup2 directory", "[cgroup]") {
  const std::string mount = cgroup2_mount();
  const auto mine = cgroup_of_pid(getpid(), mount);
  CHECK(mine.path == *cgroup2_path(syva::test::read_file("/proc/self/cgroup")));
  CHECK(mine.id == cgroup_id_of(mine.dir));
  CHECK_THROWS_WITH(cgroup_of_pid(0x3ffffff, mount), Catch::Contains("/proc/67108863/cgroup"));
}

TEST_CASE("a spec's cgroupsPath: runc's cgroupfs and systemd forms", "[cgroup]") {
  CHECK(cgroup_path_of_spec("/default/c1") == "/default/c1");
  CHECK(cgroup_path_of_spec("kubepods-besteffort-pod12.slice:cri-containerd:abc") ==
        "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12.slice/cri-containerd-abc.scope");
  CHECK(cgroup_path_of_spec(":docker:abc") == "/system.slice/docker-abc.scope");
  CHECK(cgroup_path_of_spec("-.slice::abc") == "/abc.scope");
  CHECK(cgroup_path_of_spec("machine.slice:libpod:x.slice") == "/x.slice");
  // Nothing that would place it anywhere but where runc does.
  CHECK_FALSE(cgroup_path_of_spec(""));
  CHECK_FALSE(cgroup_path_of_spec("relative/c1"));
  CHECK_FALSE(cgroup_path_of_spec("/default/../c1"));
  CHECK_FALSE(cgroup_path_of_spec("kubepods:cri-containerd:abc"));
  CHECK_FALSE(cgroup_path_of_spec("a--b.slice:p:abc"));
  CHECK_FALSE(cgroup_path_of_spec("a.slice:p:x/y"));
  CHECK_FALSE(cgroup_path_of_spec("a.slice:p:n:extra"));
}
