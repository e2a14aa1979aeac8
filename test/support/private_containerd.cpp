// SPDX-License-Identifier: Apache-2.0
#include "support/private_containerd.h"

#include <bpf/bpf.h>
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "enforcer/kernel_ids.h"
#include "watcher/container_addresses.h"
#include "support/files.h"
#include "support/shell.h"

extern char** environ;

namespace fs = std::filesystem;

namespace syva::test {

namespace {

std::string find_in_path(const std::string& name) {
  const char* path = getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  dirs += ":/usr/sbin:/sbin";
  std::istringstream in(dirs);
  std::string dir;
  while (std::getline(in, dir, ':'))
    if (!dir.empty() && access((dir + "/" + name).c_str(), X_OK) == 0) return dir + "/" + name;
  return "";
}

// The test image must run with nothing but itself in the rootfs.
bool statically_linked(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  Elf64_Ehdr eh{};
  if (!f.read(reinterpret_cast<char*>(&eh), sizeof(eh)) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) return false;
  for (int i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph{};
    f.seekg(eh.e_phoff + i * eh.e_phentsize);
    if (!f.read(reinterpret_cast<char*>(&ph), sizeof(ph))) return false;
    if (ph.p_type == PT_INTERP) return false;
  }
  return true;
}

bool answers(const std::string& socket) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  socket.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

std::string trim(std::string s) {
  while (!s.empty() && isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

}  // namespace

std::string PrivateContainerd::unavailable(Options options) {
  if (geteuid() != 0) return "containerd tests need root (containers, cgroups, BPF pins)";
  for (const char* tool : {"containerd", "ctr", "runc", "containerd-shim-runc-v2", "busybox", "tar", "sha256sum"})
    if (find_in_path(tool).empty())
      return fmt::format("'{}' is not installed (Debian packages: containerd runc busybox-static)", tool);
  if (!statically_linked(find_in_path("busybox")))
    return "busybox is not statically linked: install busybox-static for the test image";
  try {
    cgroup2_mount();
  } catch (const std::exception& e) {
    return e.what();
  }
  // The CRI plugin copies the node's files into every pod sandbox and fails
  // RunPodSandbox without them (the test VM stages both).
  if (options.cri)
    for (const char* file : {"/etc/hosts", "/etc/resolv.conf"})
      if (access(file, R_OK) != 0) return fmt::format("the CRI plugin needs {}, which is missing", file);
  if (options.cni) {
    // The CRI plugin always adds a loopback network to the pod's own.
    for (const char* plugin : {"bridge", "host-local", "loopback"})
      if (access((cni_bin_dir() + "/" + plugin).c_str(), X_OK) != 0)
        return fmt::format("CNI plugin '{}' is not in {} (Debian package: containernetworking-plugins)", plugin,
                           cni_bin_dir());
    if (!fs::exists("/sys/module/bridge"))
      return "the kernel has no bridge module loaded (run-in-vm.sh --modules \"... bridge\")";
  }
  return "";
}

std::string PrivateContainerd::cni_bin_dir() {
  return access("/usr/lib/cni/bridge", X_OK) == 0 ? "/usr/lib/cni" : "/opt/cni/bin";
}

std::string PrivateContainerd::cni_bridge() const { return fmt::format("syvacni{}", getpid()); }

std::map<std::string, std::string> PrivateContainerd::cni_leases() const {
  // host-local keeps one file per address, named by it, whose first line is
  // the container (sandbox) id it went to.
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_ + "/cni/ipam/syva-test", ec)) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789.") != std::string::npos) continue;
    std::istringstream lines(read_file(entry.path()));
    std::string id;
    std::getline(lines, id);
    out[name] = trim(id);
  }
  return out;
}

PrivateContainerd::PrivateContainerd(const std::string& tag, Options options) : tag_(tag), options_(options) {
  dir_ = fmt::format("/tmp/syva-wt-{}-{}", getpid(), tag);
  socket_ = dir_ + "/containerd.sock";
  cgroup2_ = cgroup2_mount();
  run_containerd_existed_ = fs::exists("/run/containerd");
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  std::ofstream config(dir_ + "/config.toml");
  // Top-level keys before the first table: TOML would put them inside it.
  config << fmt::format("version = 2\nroot = \"{0}/root\"\nstate = \"{0}/state\"\n", dir_);
  // The CRI plugin would want CNI and a sandbox image; the watcher needs neither.
  if (!options_.cri) config << "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n";
  config << fmt::format(
      "[grpc]\n  address = \"{0}/containerd.sock\"\n[ttrpc]\n  address = \"{0}/containerd.sock.ttrpc\"\n", dir_);
  if (options_.cri) {
    fs::create_directories(dir_ + "/cni/bin");
    fs::create_directories(dir_ + "/cni/net.d");
    // No masquerade (nothing leaves the node) and so no iptables; the
    // leases in a private directory, where cni_leases() reads them.
    if (options_.cni)
      std::ofstream(dir_ + "/cni/net.d/10-syva-test.conflist")
          << fmt::format(R"({{"cniVersion": "0.4.0", "name": "syva-test", "plugins": [{{"type": "bridge",
 "bridge": "{}", "isGateway": true, "ipMasq": false,
 "ipam": {{"type": "host-local", "dataDir": "{}/cni/ipam", "ranges": [[{{"subnet": "{}", "gateway": "{}"}}]]}}}}]}}
)",
                         cni_bridge(), dir_, kCniSubnet, kCniGateway);
    // - sandbox_image: no registry is reachable; the image is imported.
    // - CNI from empty private directories: host-network pods need none,
    //   and a node's own CNI config must not leak into the test.
    // - runc: private root like the ctr containers; NoPivotRoot because the
    //   test VM's root is the initramfs, which pivot_root refuses.
    // - The streaming server (exec/attach over HTTP) on a free loopback port.
    config << fmt::format(R"([plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{1}"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "{2}"
    conf_dir = "{0}/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        Root = "{0}/runc"
        NoPivotRoot = true
        SystemdCgroup = false
)",
                          dir_, kPauseImage, options_.cni ? cni_bin_dir() : dir_ + "/cni/bin");
  }
  config.close();
  try {
    start();
  } catch (...) {
    clean_up();
    throw;
  }
}

PrivateContainerd::~PrivateContainerd() { clean_up(); }

std::string PrivateContainerd::ns(const std::string& suffix) const {
  return fmt::format("syva-wt-{}-{}-{}", getpid(), tag_, suffix);
}

void PrivateContainerd::start() {
  if (pid_ > 0) return;
  const std::string bin = find_in_path("containerd");
  const std::string config = dir_ + "/config.toml";
  const std::string log = dir_ + "/containerd.log";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  std::vector<std::string> args = {bin, "--config", config};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  int err = posix_spawn(&pid, bin.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (err != 0) throw std::runtime_error(fmt::format("starting containerd: {}", strerror(err)));
  pid_ = pid;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (answers(socket_) && shell(fmt::format("ctr --address {} version", socket_)).exit_code == 0) return;
    if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("containerd exited at start:\n" + read_file(log));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("containerd did not answer within 15 s:\n" + read_file(log));
}

void PrivateContainerd::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::string PrivateContainerd::ctr(const std::string& ns, const std::string& args) {
  {
    std::lock_guard lock(namespaces_mutex_);
    namespaces_.insert(ns);
  }
  const std::string cmd = fmt::format("ctr --address {} -n {} {}", socket_, ns, args);
  auto r = shell(cmd);
  if (r.exit_code != 0) throw std::runtime_error(fmt::format("`{}` failed ({}):\n{}", cmd, r.exit_code, r.output));
  return r.output;
}

std::vector<std::string> PrivateContainerd::ctr_lines(const std::string& ns, const std::string& args) {
  std::vector<std::string> lines;
  std::istringstream in(ctr(ns, args));
  std::string line;
  while (std::getline(in, line))
    if (!trim(line).empty()) lines.push_back(trim(line));
  return lines;
}

void PrivateContainerd::import_image(const std::string& ns) {
  // The test VM carries the archive ready-made (test/vm/run-in-vm.sh --containerd).
  if (const char* prebuilt = getenv(kImageArchiveEnv)) {
    ctr(ns, fmt::format("images import {}", prebuilt));
    return;
  }
  if (!image_built_) {
    auto r = shell(fmt::format("{}/test/host/busybox-oci-image.sh {} {}", SYVA_SOURCE_DIR, dir_, kImage));
    if (r.exit_code != 0) throw std::runtime_error("building the busybox image failed:\n" + r.output);
    image_built_ = true;
  }
  ctr(ns, fmt::format("images import {}/busybox-oci.tar", dir_));
}

void PrivateContainerd::import_cri_images() {
  if (!options_.cri) throw std::logic_error("import_cri_images: this containerd runs without its CRI plugin");
  // Not through ctr(): kCriNamespace's cgroups are not named after it, and
  // clean_up must not write cgroup.kill for a namespace a node may share.
  auto import = [&](const std::string& archive) {
    const std::string cmd = fmt::format("ctr --address {} -n {} images import {}", socket_, kCriNamespace, archive);
    auto r = shell(cmd);
    if (r.exit_code != 0) throw std::runtime_error(fmt::format("`{}` failed ({}):\n{}", cmd, r.exit_code, r.output));
  };
  const char* busybox = getenv(kImageArchiveEnv);
  const char* pause = getenv(kPauseArchiveEnv);
  if (!busybox && !image_built_) {
    auto r = shell(fmt::format("{}/test/host/busybox-oci-image.sh {} {}", SYVA_SOURCE_DIR, dir_, kImage));
    if (r.exit_code != 0) throw std::runtime_error("building the busybox image failed:\n" + r.output);
    image_built_ = true;
  }
  if (!pause) {
    auto r = shell(fmt::format("{}/test/host/busybox-oci-image.sh {} {} pause-oci sleep 2147483647", SYVA_SOURCE_DIR,
                               dir_, kPauseImage));
    if (r.exit_code != 0) throw std::runtime_error("building the pause image failed:\n" + r.output);
  }
  import(busybox ? busybox : dir_ + "/busybox-oci.tar");
  import(pause ? pause : dir_ + "/pause-oci.tar");
}

std::string PrivateContainerd::cri_cgroup_parent() const { return fmt::format("/syva-wt-{}-{}-pods", getpid(), tag_); }

void PrivateContainerd::run_detached(const std::string& ns, const std::string& id, const std::string& flags,
                                     const std::string& command) {
  // Private runc state and no stdio FIFOs: nothing lands under /run/containerd
  // but the shims' sockets, whose place containerd 1.6 fixes.
  ctr(ns, fmt::format("run -d --null-io --runc-root {}/runc {} {} {} {}", dir_, flags, kImage, id, command));
}

void PrivateContainerd::remove(const std::string& ns, const std::string& id) {
  ctr(ns, "tasks delete --force " + id);
  ctr(ns, "containers delete " + id);
}

pid_t PrivateContainerd::task_pid(const std::string& ns, const std::string& id) {
  auto all = tasks(ns);
  if (auto it = all.find(id); it != all.end()) return it->second.pid;
  throw std::runtime_error(fmt::format("no task {} in namespace {}", id, ns));
}

std::map<std::string, PrivateContainerd::Task> PrivateContainerd::tasks(const std::string& ns) {
  std::map<std::string, Task> out;
  for (const auto& line : ctr_lines(ns, "tasks list")) {
    std::istringstream fields(line);
    std::string task, pid, status;
    fields >> task >> pid >> status;
    if (task == "TASK" || pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    out[task] = Task{std::stoi(pid), status};
  }
  return out;
}

std::vector<std::string> PrivateContainerd::containers(const std::string& ns) {
  return ctr_lines(ns, "containers list -q");
}

std::string PrivateContainerd::cgroup_dir(const std::string& ns, const std::string& id) const {
  return fmt::format("{}/{}/{}", cgroup2_, ns, id);
}

uint64_t PrivateContainerd::cgroup_id(const std::string& ns, const std::string& id) const {
  return cgroup_id_of(cgroup_dir(ns, id));
}

void PrivateContainerd::clean_up() noexcept {
  try {
    // Tasks and containers go through containerd, so their shims, mounts
    // and snapshots go with them.
    if (pid_ <= 0 && fs::exists(dir_ + "/config.toml")) start();
    std::set<std::string> all = namespaces_;
    if (options_.cri) all.insert(kCriNamespace);
    for (const auto& ns : all) {
      auto tasks = shell(fmt::format("ctr --address {} -n {} tasks list -q", socket_, ns));
      std::istringstream t(tasks.output);
      for (std::string id; std::getline(t, id);)
        if (!trim(id).empty())
          shell(fmt::format("ctr --address {} -n {} tasks delete --force {}", socket_, ns, trim(id)));
      auto containers = shell(fmt::format("ctr --address {} -n {} containers list -q", socket_, ns));
      std::istringstream c(containers.output);
      for (std::string id; std::getline(c, id);)
        if (!trim(id).empty()) shell(fmt::format("ctr --address {} -n {} containers delete {}", socket_, ns, trim(id)));
      shell(fmt::format("ctr --address {} -n {} images remove {} {}", socket_, ns, kImage, kPauseImage));
      shell(fmt::format("ctr --address {} namespaces remove {}", socket_, ns));
    }
  } catch (...) {
  }
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ::kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  // Whatever survived a failure: container processes (cgroup.kill), shims
  // started by this containerd (they name its socket), then mounts.
  std::vector<std::string> cgroups(namespaces_.begin(), namespaces_.end());
  if (options_.cri) cgroups.push_back(cri_cgroup_parent().substr(1));
  for (const auto& cg : cgroups) {
    if (fs::exists(fmt::format("{}/{}", cgroup2_, cg)))
      std::ofstream(fmt::format("{}/{}/cgroup.kill", cgroup2_, cg)) << "1";
  }
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string cmdline = read_file(entry.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find("containerd-shim") != std::string::npos && cmdline.find(socket_) != std::string::npos)
      ::kill(std::stoi(name), SIGKILL);
  }
  std::vector<std::string> mounts;
  std::istringstream m(read_file("/proc/self/mounts"));
  for (std::string line; std::getline(m, line);) {
    std::istringstream f(line);
    std::string src, target;
    f >> src >> target;
    if (target.starts_with(dir_ + "/")) mounts.push_back(target);
  }
  std::sort(mounts.rbegin(), mounts.rend());
  for (const auto& target : mounts) umount2(target.c_str(), MNT_DETACH);
  fs::remove_all(dir_, ec);

  // runc leaves the namespace's (or the pods') parent cgroup in every hierarchy.
  for (const auto& cg : cgroups) {
    std::vector<fs::path> roots = {fs::path("/sys/fs/cgroup") / cg};  // pure v2
    for (const auto& h : fs::directory_iterator("/sys/fs/cgroup", ec)) roots.push_back(h.path() / cg);
    std::vector<fs::path> dirs;
    for (const auto& root : roots) {
      if (!fs::is_directory(root, ec)) continue;
      for (const auto& d : fs::recursive_directory_iterator(root, ec))
        if (d.is_directory(ec)) dirs.push_back(d.path());
      dirs.push_back(root);
    }
    // Children first: a cgroup directory goes only when empty.
    std::sort(dirs.rbegin(), dirs.rend());
    for (const auto& d : dirs) rmdir(d.c_str());
  }
  // The bridge plugin leaves its bridge when the last pod goes.
  if (options_.cni) shell(fmt::format("ip link delete {} 2>/dev/null", cni_bridge()));
  // containerd 1.6 puts its shims' sockets under /run/containerd/s whatever
  // its config says; leave the host as it was found.
  if (!run_containerd_existed_) {
    fs::remove("/run/containerd/s", ec);
    fs::remove("/run/containerd", ec);
  }
}

namespace {
std::map<uint64_t, uint32_t> read_pinned_zone_map(const std::string& pin_path, const char* map) {
  std::map<uint64_t, uint32_t> out;
  int fd = bpf_obj_get((pin_path + "/" + map).c_str());
  if (fd < 0) throw std::runtime_error(fmt::format("no pinned {} at {}", map, pin_path));
  uint64_t key = 0, next = 0;
  const uint64_t* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    uint32_t zone = 0;
    if (bpf_map_lookup_elem(fd, &next, &zone) == 0) out[next] = zone;
    key = next;
    prev = &key;
  }
  close(fd);
  return out;
}
}  // namespace

std::map<uint64_t, uint32_t> read_pinned_membership(const std::string& pin_path) {
  return read_pinned_zone_map(pin_path, "zone_membership");
}

std::map<uint64_t, uint32_t> read_pinned_superblocks(const std::string& pin_path) {
  return read_pinned_zone_map(pin_path, "superblock_zone");
}

std::map<std::string, uint32_t> read_pinned_addresses(const std::string& pin_path) {
  std::map<std::string, uint32_t> out;
  int fd = bpf_obj_get((pin_path + "/address_zone").c_str());
  if (fd < 0) throw std::runtime_error(fmt::format("no pinned address_zone at {}", pin_path));
  syva_address key{}, next{};
  const syva_address* prev = nullptr;
  while (bpf_map_get_next_key(fd, prev, &next) == 0) {
    uint32_t zone = 0;
    if (bpf_map_lookup_elem(fd, &next, &zone) == 0) out[format_address(next)] = zone;
    key = next;
    prev = &key;
  }
  close(fd);
  return out;
}

}  // namespace syva::test
