// SPDX-License-Identifier: Apache-2.0
#include "kernel/agent_process.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "support/exit_codes.h"

namespace syva::ktest {

namespace {

std::string beside_this_binary(const char* name) {
  return (std::filesystem::read_symlink("/proc/self/exe").parent_path() / name).string();
}

}  // namespace

std::string syva_binary() { return beside_this_binary("syva"); }

std::string zone_probe_binary() { return beside_this_binary("syva-zone-probe"); }
std::string uring_probe_binary() { return beside_this_binary("syva-uring-probe"); }

AgentProcess::AgentProcess(const std::vector<std::string>& args, const std::string& log, const char* selftest_fault,
                           const std::string& cgroup_namespace_at)
    : log_(log) {
  if (!cgroup_namespace_at.empty()) std::filesystem::create_directories(cgroup_namespace_at);
  const std::string bin = syva_binary();
  std::vector<char*> argv{const_cast<char*>("syva")};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    if (selftest_fault) setenv("SYVA_SELFTEST_FAULT", selftest_fault, 1);
    if (!cgroup_namespace_at.empty()) {
      int procs = open((cgroup_namespace_at + "/cgroup.procs").c_str(), O_WRONLY);
      if (procs < 0 || write(procs, "0", 1) != 1 || unshare(CLONE_NEWCGROUP) != 0) _exit(SYVA_TEST_EXIT_EXEC_FAILED);
      close(procs);
    }
    execv(bin.c_str(), argv.data());
    _exit(SYVA_TEST_EXIT_EXEC_FAILED);
  }
}

AgentProcess::~AgentProcess() {
  if (pid_ > 0) stop(SIGKILL);
}

bool AgentProcess::wait_for(const std::string& text, int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    if (log().find(text) != std::string::npos) return true;
    if (exited()) return log().find(text) != std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

bool AgentProcess::wait_exit(int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    if (exited()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

bool AgentProcess::exited() {
  if (pid_ <= 0) return true;
  int status;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
    return true;
  }
  return false;
}

int AgentProcess::stop(int sig) {
  if (pid_ > 0) {
    kill(pid_, sig);
    int status;
    waitpid(pid_, &status, 0);
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
  }
  return exit_code_;
}

bool AgentProcess::signal(int sig) const { return pid_ > 0 && kill(pid_, sig) == 0; }

}  // namespace syva::ktest
