// SPDX-License-Identifier: Apache-2.0
#include "cli/probe.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/magic.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "enforcer/kernel_features.h"

namespace syva {

namespace {

ProbeCheck pass(std::string name, std::string detail) { return {std::move(name), true, std::move(detail)}; }
ProbeCheck fail(std::string name, std::string detail) { return {std::move(name), false, std::move(detail)}; }

ProbeCheck check_lsm() {
  // Read, never mounted: a probe changes nothing on the node.
  std::ifstream f("/sys/kernel/security/lsm");
  std::string lsms;
  if (!f || !std::getline(f, lsms))
    return fail("lsm", "cannot read /sys/kernel/security/lsm: mount securityfs (mount -t securityfs securityfs "
                       "/sys/kernel/security) and probe again");
  if ((',' + lsms + ',').find(",bpf,") == std::string::npos)
    return fail("lsm", fmt::format("'bpf' is not an active LSM ({}): add lsm={}{}bpf to the kernel command line "
                                   "(kernel built with CONFIG_BPF_LSM=y) and reboot",
                                   lsms.empty() ? "none" : lsms, lsms, lsms.empty() ? "" : ","));
  return pass("lsm", "bpf is an active LSM (" + lsms + ")");
}

ProbeCheck check_btf() {
  if (access("/sys/kernel/btf/vmlinux", R_OK) == 0) return pass("btf", "/sys/kernel/btf/vmlinux is readable");
  return fail("btf",
              fmt::format("/sys/kernel/btf/vmlinux: {}: the kernel needs CONFIG_DEBUG_INFO_BTF=y", strerror(errno)));
}

ProbeCheck check_bpffs() {
  struct statfs st {};
  if (statfs("/sys/fs/bpf", &st) == 0 && static_cast<unsigned long>(st.f_type) == BPF_FS_MAGIC)
    return pass("bpffs", "a BPF filesystem is mounted at /sys/fs/bpf");
  return fail("bpffs",
              "no BPF filesystem at /sys/fs/bpf: mount -t bpf bpf /sys/fs/bpf (systemd does at boot); the pins "
              "must outlive the agent");
}

ProbeCheck check_cgroup2() {
  struct statfs st {};
  if (statfs("/sys/fs/cgroup", &st) == 0 && static_cast<unsigned long>(st.f_type) == CGROUP2_SUPER_MAGIC)
    return pass("cgroup2", "cgroup v2 is mounted at /sys/fs/cgroup (unified)");
  // Hybrid hosts keep v2 beside the v1 controllers: membership works there.
  std::ifstream mounts("/proc/self/mounts");
  std::string line;
  while (std::getline(mounts, line)) {
    std::istringstream words(line);
    std::string device, dir, type;
    words >> device >> dir >> type;
    if (type == "cgroup2")
      return pass("cgroup2", fmt::format("cgroup v2 is mounted at {} (hybrid: [resources] need the controllers on "
                                         "v2, see README)",
                                         dir));
  }
  return fail("cgroup2", "no cgroup v2 mount: boot with systemd.unified_cgroup_hierarchy=1 (or mount cgroup2)");
}

ProbeCheck check_containerd(const std::string& sock) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (sock.size() >= sizeof(addr.sun_path)) return fail("containerd", sock + ": path too long for a Unix socket");
  memcpy(addr.sun_path, sock.c_str(), sock.size() + 1);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail("containerd", fmt::format("socket: {}", strerror(errno)));
  const int rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  const int err = errno;
  close(fd);
  if (rc == 0) return pass("containerd", sock + " accepts connections");
  return fail("containerd",
              fmt::format("{}: {}: start containerd, or give its socket with --containerd-sock", sock, strerror(err)));
}

// The smallest program the agent's kind needs: BPF_PROG_TYPE_LSM on
// file_open, returning 0 (allow), loaded and attached for a moment. Whatever
// refuses the agent's own programs as such (no BPF-LSM, lockdown, a sandboxed
// kernel, missing CAP_BPF/CAP_PERFMON) refuses this one too.
ProbeCheck check_lsm_load() {
  libbpf_set_print(nullptr);  // the answer is the errno, said below
  btf* vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) return fail("bpf-lsm load", fmt::format("cannot read the kernel's BTF: {}", strerror(errno)));
  const int btf_id = btf__find_by_name_kind(vmlinux, "bpf_lsm_file_open", BTF_KIND_FUNC);
  btf__free(vmlinux);
  if (btf_id < 0)
    return fail("bpf-lsm load", "the kernel's BTF has no bpf_lsm_file_open: it was built without CONFIG_BPF_LSM=y");

  const bpf_insn insns[] = {
      {BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0},  // r0 = 0
      {BPF_JMP | BPF_EXIT, 0, 0, 0, 0},                   // return r0
  };
  char log[4096] = "";
  LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_LSM_MAC,
              .attach_btf_id = static_cast<__u32>(btf_id), .log_size = sizeof(log), .log_buf = log);
  const int prog = bpf_prog_load(BPF_PROG_TYPE_LSM, "syva_probe", "GPL", insns, 2, &opts);
  if (prog < 0) {
    const int err = -prog;
    struct utsname u {};
    uname(&u);
    std::string why =
        fmt::format("kernel {} refused BPF_PROG_LOAD of an LSM program: {} (errno {})", u.release, strerror(err), err);
    if (err == EPERM)
      why += geteuid() == 0 ? "; as root, so the kernel itself forbids it (lockdown, a sandboxed or restricted "
                              "kernel): Syva cannot enforce here"
                            : "; run as root, or with CAP_BPF and CAP_PERFMON";
    if (log[0]) why += fmt::format(" (verifier: {})", log);
    return fail("bpf-lsm load", why);
  }
  // raw_tracepoint_open with no name attaches a tracing or LSM program on
  // every kernel with BPF-LSM (5.7+); link_create for LSM came later.
  const int link = bpf_raw_tracepoint_open(nullptr, prog);
  const int err = errno;
  close(prog);
  if (link < 0)
    return fail("bpf-lsm load", fmt::format("an LSM program loads but attaching it to file_open failed: {} (errno {})",
                                            strerror(err), err));
  close(link);  // detaches: the probe leaves nothing behind
  return pass("bpf-lsm load", "an LSM program loaded and attached to file_open (then detached)");
}

// What the programs need beyond an LSM program as such: a kernel with
// BPF-LSM may still be too old for them (Debian 11's 5.10).
ProbeCheck check_kernel_features() {
  const auto features = missing_kernel_features();
  if (!features.missing.empty()) return fail("kernel features", describe_missing_features(features.missing));
  if (!features.asked)
    return fail("kernel features",
                "cannot tell: this kernel (or this user) does not create BPF maps or load LSM programs (see the "
                "checks above)");
  return pass("kernel features", "task storage, ring buffer and the helpers the programs call are there");
}

}  // namespace

std::vector<ProbeCheck> probe_node(const std::string& containerd_sock) {
  return {check_lsm(),     check_btf(), check_bpffs(), check_cgroup2(), check_containerd(containerd_sock),
          check_lsm_load(), check_kernel_features()};
}

std::string format_probe(const std::vector<ProbeCheck>& checks) {
  std::string out;
  bool all = true;
  for (const auto& c : checks) {
    out += fmt::format("{:<5} {}: {}\n", c.ok ? "OK" : "FAIL", c.name, c.detail);
    all = all && c.ok;
  }
  out += all ? "syva probe: this node can run Syva\n" : "syva probe: this node cannot run Syva as it is\n";
  return out;
}

int run_probe(const std::string& containerd_sock) {
  const auto checks = probe_node(containerd_sock);
  fputs(format_probe(checks).c_str(), stdout);
  for (const auto& c : checks)
    if (!c.ok) return 1;
  return 0;
}

}  // namespace syva
