// SPDX-License-Identifier: Apache-2.0
// SysV IPC on a shared IPC namespace (the VM's, as hostIPC pods share the
// node's): shared memory, semaphores and message queues belong to the zone
// that made them. Refusals at ipc_permission reach the caller as EACCES
// (the kernel's own translation); the controls refused at their own hooks
// as EPERM.
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <functional>

#include "kernel/zone_fixture.h"
#include "support/exit_codes.h"

using namespace syva;
using namespace syva::ktest;

namespace {

constexpr key_t kShmKey = 0x53590d01;
constexpr key_t kSemKey = 0x53590d02;
constexpr key_t kMsgKey = 0x53590d03;

struct Message {
  long type;
  char text[8];
};

int errno_of(int rc) { return rc < 0 ? errno : 0; }

// Each action as a zone's process tries it on the objects made in `maker`:
// 0, or the errno the kernel answered.
int shm_get() { return errno_of(shmget(kShmKey, 0, 0)); }
int shm_attach(int id) {
  void* at = shmat(id, nullptr, 0);
  if (at == reinterpret_cast<void*>(-1)) return errno;
  shmdt(at);
  return 0;
}
int shm_stat(int id) {
  shmid_ds ds{};
  return errno_of(shmctl(id, IPC_STAT, &ds));
}
int shm_remove(int id) { return errno_of(shmctl(id, IPC_RMID, nullptr)); }
int sem_get() { return errno_of(semget(kSemKey, 0, 0)); }
int sem_op(int id) {
  sembuf op{0, 1, IPC_NOWAIT};
  return errno_of(semop(id, &op, 1));
}
int sem_remove(int id) { return errno_of(semctl(id, 0, IPC_RMID)); }
int msg_get() { return errno_of(msgget(kMsgKey, 0)); }
int msg_send(int id) {
  Message m{1, "syva"};
  return errno_of(msgsnd(id, &m, sizeof(m.text), IPC_NOWAIT));
}
int msg_receive(int id) {
  Message m{};
  return errno_of(static_cast<int>(msgrcv(id, &m, sizeof(m.text), 0, IPC_NOWAIT)));
}
int msg_remove(int id) { return errno_of(msgctl(id, IPC_RMID, nullptr)); }

struct Objects {
  int shm, sem, msg;
};

// Made by a process in `maker` (null: the host), found here by key.
Objects make_objects(const Cgroup* maker) {
  const Outcome made = run_in(maker, [] {
    if (shmget(kShmKey, 4096, IPC_CREAT | IPC_EXCL | 0666) < 0) return SYVA_TEST_EXIT_STEP1;
    if (semget(kSemKey, 1, IPC_CREAT | IPC_EXCL | 0666) < 0) return SYVA_TEST_EXIT_STEP2;
    if (msgget(kMsgKey, IPC_CREAT | IPC_EXCL | 0666) < 0) return SYVA_TEST_EXIT_STEP3;
    return 0;
  });
  REQUIRE(made.err == 0);
  return {shmget(kShmKey, 0, 0), semget(kSemKey, 0, 0), msgget(kMsgKey, 0)};
}

void remove_objects(const Objects& o) {
  shmctl(o.shm, IPC_RMID, nullptr);
  semctl(o.sem, 0, IPC_RMID);
  msgctl(o.msg, IPC_RMID, nullptr);
}

// Every use of `o` from `cgroup`, each expected to answer `use` (get,
// attach, operate, send, receive, read) or `control` (remove).
void expect_uses(const Cgroup* cgroup, const Objects& o, int use, int control) {
  const auto in = [&](const std::function<int()>& action) { return run_in(cgroup, action).err; };
  CHECK(in(shm_get) == use);
  CHECK(in([&] { return shm_attach(o.shm); }) == use);
  CHECK(in([&] { return shm_stat(o.shm); }) == use);
  CHECK(in(sem_get) == use);
  CHECK(in([&] { return sem_op(o.sem); }) == use);
  CHECK(in(msg_get) == use);
  CHECK(in([&] { return msg_send(o.msg); }) == use);
  CHECK(in([&] { return msg_receive(o.msg); }) == use);
  if (control) {
    CHECK(in([&] { return shm_remove(o.shm); }) == control);
    CHECK(in([&] { return sem_remove(o.sem); }) == control);
    CHECK(in([&] { return msg_remove(o.msg); }) == control);
  }
}

}  // namespace

TEST_CASE("ipc: SysV shared memory, semaphores and message queues of another zone or the host are refused",
          "[kernel][ipc]") {
  REQUIRE_BPF_LSM();
  apply_policy(false);
  Cgroup alpha("ipc-alpha", kAlpha);
  Cgroup beta("ipc-beta", kBeta);
  Cgroup beta_other("ipc-beta-other", kBeta);

  const Objects betas = make_objects(&beta);
  drain_events();
  const auto before = counters(SYVA_HOOK_IPC_PERMISSION);
  const auto control_before = counters(SYVA_HOOK_IPC_CONTROL);
  expect_uses(&alpha, betas, EACCES, EPERM);
  CHECK(counters(SYVA_HOOK_IPC_PERMISSION).deny - before.deny == 8);
  CHECK(counters(SYVA_HOOK_IPC_CONTROL).deny - control_before.deny == 3);
  const Outcome attach = run_in(&alpha, [&] { return shm_attach(betas.shm); });
  CHECK(attach.err == EACCES);
  const syva_event e = only_event(drain_events(), SYVA_HOOK_IPC_PERMISSION, attach.pid);
  CHECK(e.caller_zone == kAlpha);
  CHECK(e.target_zone == kBeta);
  CHECK(e.ino == static_cast<uint64_t>(betas.shm));
  CHECK(e.dev == static_cast<uint32_t>(kShmKey));

  // Another process of the same zone; an allowed pair; the host.
  expect_uses(&beta_other, betas, 0, 0);
  apply_policy(true);
  expect_uses(&alpha, betas, 0, 0);
  apply_policy(false);
  expect_uses(nullptr, betas, 0, 0);
  // The zone removes its own.
  CHECK(run_in(&beta_other, [&] { return shm_remove(betas.shm); }).err == 0);
  CHECK(run_in(&beta_other, [&] { return sem_remove(betas.sem); }).err == 0);
  CHECK(run_in(&beta_other, [&] { return msg_remove(betas.msg); }).err == 0);
  remove_objects(betas);

  // The host's objects are no zone's.
  const Objects hosts = make_objects(nullptr);
  expect_uses(&alpha, hosts, EACCES, EPERM);
  remove_objects(hosts);
  CHECK(counters(SYVA_HOOK_IPC_OWNER).error == 0);
  drain_events();
}
