// SPDX-License-Identifier: Apache-2.0
#include "churn_cycle.h"

#include <bpf/bpf.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <google/protobuf/util/time_util.h>

#include "bench_cgroup.h"
#include "containerd/events/container.pb.h"
#include "containerd/events/task.pb.h"
#include "syva_abi.h"

namespace syva::bench {

namespace {

using containerd::v1::types::Status;
using google::protobuf::util::TimeUtil;

// The container's command: a child that blocks until its pipe closes, born
// in the container's cgroup (clone3 CLONE_INTO_CGROUP). Moving it in through
// cgroup.procs takes the threadgroup lock for writing, an RCU grace period
// each time: under emulation that halved the replay's rate while the
// agent's side stayed the same. No exec: the bench is multi-threaded
// (gRPC), and a child that only reads and exits needs nothing but system
// calls.
class Command {
 public:
  explicit Command(const std::string& cgroup_dir) {
    const int dir = open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) throw std::runtime_error(fmt::format("open {}: {}", cgroup_dir, strerror(errno)));
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) {
      close(dir);
      throw std::runtime_error(fmt::format("pipe: {}", strerror(errno)));
    }
    clone_args args{};
    args.flags = CLONE_INTO_CGROUP;
    args.exit_signal = SIGCHLD;
    args.cgroup = static_cast<uint64_t>(dir);
    const long pid = syscall(SYS_clone3, &args, sizeof(args));
    if (pid == 0) {
      close(p[1]);
      char c;
      while (read(p[0], &c, 1) < 0 && errno == EINTR) {
      }
      _exit(0);
    }
    const int err = errno;
    close(dir);
    close(p[0]);
    if (pid < 0) {
      close(p[1]);
      throw std::runtime_error(fmt::format("clone3 into {}: {}", cgroup_dir, strerror(err)));
    }
    pid_ = static_cast<pid_t>(pid);
    release_ = p[1];
  }
  ~Command() { stop(); }
  Command(const Command&) = delete;
  Command& operator=(const Command&) = delete;

  pid_t pid() const { return pid_; }
  // Ends the process and reaps it: its cgroup is empty afterwards.
  void stop() {
    if (release_ < 0) return;
    close(release_);
    release_ = -1;
    while (waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }

 private:
  pid_t pid_ = -1;
  int release_ = -1;
};

FakeContainerd::Container record(const std::string& ns, const std::string& id, const std::string& zone) {
  FakeContainerd::Container c;
  c.set_id(id);
  (*c.mutable_labels())["syva.dev/zone"] = zone;
  c.set_image("docker.io/library/busybox:1.36");
  c.mutable_runtime()->set_name("io.containerd.runc.v2");
  c.set_snapshotter("overlayfs");
  c.set_snapshot_key(id);
  *c.mutable_created_at() = TimeUtil::GetCurrentTime();
  *c.mutable_updated_at() = c.created_at();
  // What `ctr run` stores, trimmed: the watcher reads the annotations and
  // linux.cgroupsPath.
  c.mutable_spec()->set_type_url("types.containerd.io/opencontainers/runtime-spec/1/Spec");
  c.mutable_spec()->set_value(
      fmt::format(R"({{"ociVersion":"1.1.0","process":{{"args":["sleep","inf"],"cwd":"/"}},)"
                  R"("root":{{"path":"rootfs"}},"linux":{{"cgroupsPath":"/{}/{}"}},"annotations":{{}}}})",
                  ns, id));
  return c;
}

FakeContainerd::Task task(const std::string& id, pid_t pid, Status status) {
  FakeContainerd::Task t;
  // Tasks/List names the task by `id` and leaves container_id empty.
  t.set_id(id);
  t.set_pid(static_cast<uint32_t>(pid));
  t.set_status(status);
  return t;
}

}  // namespace

ChurnCycle::ChurnCycle(FakeContainerd& containerd, std::string ns, std::string zone, int membership_fd,
                       std::chrono::milliseconds patience)
    : containerd_(containerd),
      ns_(std::move(ns)),
      zone_(std::move(zone)),
      membership_fd_(membership_fd),
      patience_(patience) {}

template <typename Pred>
bool ChurnCycle::wait_for_entry(uint64_t cgroup, Pred done) const {
  const auto deadline = std::chrono::steady_clock::now() + patience_;
  for (;;) {
    uint32_t zone = 0;
    const long value = bpf_map_lookup_elem(membership_fd_, &cgroup, &zone) == 0 ? long{zone} : -1;
    if (done(value)) return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    // Short enough not to pace the cycle, long enough to leave the
    // emulated CPU to the agent.
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
}

CycleOutcome ChurnCycle::run(size_t n) {
  CycleOutcome out;
  const std::string id = fmt::format("churn-{:06}", n);
  const auto container = record(ns_, id, zone_);
  containerd_.put_container(container);
  {
    containerd::events::ContainerCreate e;
    e.set_id(id);
    e.set_image(container.image());
    e.mutable_runtime()->set_name(container.runtime().name());
    containerd_.publish("/containers/create", e);
  }
  {
    BenchCgroup cgroup(ns_ + "/" + id);
    Command command(cgroup.path());
    const auto pid = static_cast<uint32_t>(command.pid());
    containerd_.put_task(task(id, command.pid(), Status::CREATED));
    containerd::events::TaskCreate created;
    created.set_container_id(id);
    created.set_bundle(fmt::format("/run/containerd/io.containerd.runtime.v2.task/{}/{}", ns_, id));
    created.set_pid(pid);
    containerd_.publish("/tasks/create", created);
    long zone = -1;
    out.placed = wait_for_entry(cgroup.id(), [&](long z) {
      zone = z;
      return z >= 0 && z != SYVA_ZONE_PENDING;
    });
    out.quarantined = zone == SYVA_ZONE_QUARANTINE;

    containerd_.put_task(task(id, command.pid(), Status::RUNNING));
    containerd::events::TaskStart started;
    started.set_container_id(id);
    started.set_pid(pid);
    containerd_.publish("/tasks/start", started);

    command.stop();
    auto stopped = task(id, command.pid(), Status::STOPPED);
    *stopped.mutable_exited_at() = TimeUtil::GetCurrentTime();
    containerd_.put_task(stopped);
    containerd::events::TaskExit exited;
    exited.set_container_id(id);
    exited.set_id(id);
    exited.set_pid(pid);
    *exited.mutable_exited_at() = stopped.exited_at();
    containerd_.publish("/tasks/exit", exited);
    out.removed = wait_for_entry(cgroup.id(), [](long z) { return z < 0; });

    containerd_.drop_task(id);
    containerd::events::TaskDelete deleted;
    deleted.set_container_id(id);
    deleted.set_pid(pid);
    *deleted.mutable_exited_at() = stopped.exited_at();
    containerd_.publish("/tasks/delete", deleted);
  }  // the shim removes the cgroup once the task is deleted
  containerd_.drop_container(id);
  containerd::events::ContainerDelete gone;
  gone.set_id(id);
  containerd_.publish("/containers/delete", gone);
  return out;
}

}  // namespace syva::bench
