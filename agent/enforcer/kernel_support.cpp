// SPDX-License-Identifier: Apache-2.0
#include "enforcer/kernel_support.h"

#include <sys/mount.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include <fmt/format.h>

namespace syva {

std::string active_lsms() {
  // The LSM list lives on securityfs, which minimal hosts may not mount.
  if (access("/sys/kernel/security/lsm", R_OK) != 0)
    mount("securityfs", "/sys/kernel/security", "securityfs", 0, nullptr);
  std::ifstream f("/sys/kernel/security/lsm");
  std::string lsms;
  std::getline(f, lsms);
  return lsms;
}

std::string explain_load_failure(int err, const std::string& libbpf_detail) {
  struct utsname u {};
  uname(&u);
  const std::string kernel = fmt::format("kernel {}", u.release);
  const std::string detail = libbpf_detail.empty() ? "" : fmt::format(" (libbpf: {})", libbpf_detail);

  if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
    return fmt::format("{} has no BTF (/sys/kernel/btf/vmlinux): BPF-LSM needs CONFIG_DEBUG_INFO_BTF=y{}", kernel,
                       detail);
  const std::string lsms = active_lsms();
  if (lsms.empty())
    return fmt::format(
        "cannot read /sys/kernel/security/lsm (securityfs not mounted?), and the BPF-LSM programs failed to load: "
        "{}{}",
        strerror(-err), detail);
  if ((',' + lsms + ',').find(",bpf,") == std::string::npos)
    return fmt::format("BPF-LSM is not active on {}: /sys/kernel/security/lsm is '{}' without 'bpf'; boot with "
                       "lsm={},bpf (and CONFIG_BPF_LSM=y){}",
                       kernel, lsms, lsms, detail);
  return fmt::format(
      "{} refused to load the BPF-LSM programs: {} (errno {}), although 'bpf' is an active LSM ('{}'). This kernel "
      "does not let BPF-LSM programs load here (a restricted or sandboxed kernel); Syva cannot enforce on it{}",
      kernel, strerror(-err), -err, lsms, detail);
}

}  // namespace syva
