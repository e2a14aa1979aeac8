// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>
#include <sys/sysmacros.h>

#include "enforcer/kernel_ids.h"

using namespace syva;

TEST_CASE("kernel dev_t encoding is MAJOR << 20 | MINOR", "[ids]") {
  CHECK(kernel_dev(makedev(8, 1)) == ((8ull << 20) | 1));
  CHECK(kernel_dev(makedev(0, 300)) == 300);  // minors above 255 differ from st_dev's encoding
  CHECK(kernel_dev(makedev(259, 70000)) == ((259ull << 20) | 70000));
}

TEST_CASE("the cgroup2 mount is found and its id is an inode", "[ids]") {
  const std::string mount = cgroup2_mount();
  CHECK(mount.find("/sys/fs/cgroup") == 0);
  CHECK(cgroup_id_of(mount) > 0);
}
