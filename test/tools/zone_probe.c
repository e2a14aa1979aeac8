// SPDX-License-Identifier: Apache-2.0
// One action, run inside a test container: the exit code is 0 on success or
// the errno the kernel answered, so the test reads the kernel's decision
// straight from `ctr task exec` (test/support/exit_codes.h has the other
// codes). Static: the test image is only busybox.
//   zone-probe open PATH | kill PID | ptrace PID | connect SOCKET | listen SOCKET
//              | write PATH | sethostname | chown PATH | fork ACTION [ARG]
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/exit_codes.h"

static int unix_socket(const char* path, struct sockaddr_un* addr) {
  memset(addr, 0, sizeof(*addr));
  addr->sun_family = AF_UNIX;
  strncpy(addr->sun_path, path, sizeof(addr->sun_path) - 1);
  return socket(AF_UNIX, SOCK_STREAM, 0);
}

static int serve(const char* path) {
  struct sockaddr_un addr;
  int fd = unix_socket(path, &addr);
  unlink(path);
  if (fd < 0 || bind(fd, (struct sockaddr*)&addr, sizeof(addr)) != 0 || listen(fd, 16) != 0) return errno;
  for (;;) {
    int c = accept(fd, NULL, NULL);
    if (c >= 0) close(c);
  }
}

static int act(const char* what, const char* arg);

// Runs the action in a forked child: the workload's children are held to
// the zone's rules as the workload is.
static int in_child(const char* what, const char* arg) {
  pid_t pid = fork();
  if (pid < 0) return errno;
  if (pid == 0) _exit(act(what, arg));
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return errno;
  return WIFEXITED(status) ? WEXITSTATUS(status) : SYVA_TEST_EXIT_CHILD_KILLED;
}

static int act(const char* what, const char* arg) {
  if (strcmp(what, "open") == 0) {
    int fd = open(arg, O_RDONLY);
    if (fd < 0) return errno;
    close(fd);
    return 0;
  }
  if (strcmp(what, "write") == 0) {  // open for writing, creating it if need be
    int fd = open(arg, O_WRONLY | O_CREAT, 0644);
    if (fd < 0) return errno;
    close(fd);
    return 0;
  }
  if (strcmp(what, "kill") == 0) return kill((pid_t)atoi(arg), 0) == 0 ? 0 : errno;
  if (strcmp(what, "ptrace") == 0) {
    pid_t pid = (pid_t)atoi(arg);
    if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) != 0) return errno;
    waitpid(pid, NULL, __WALL);
    ptrace(PTRACE_DETACH, pid, NULL, NULL);
    return 0;
  }
  if (strcmp(what, "connect") == 0) {
    struct sockaddr_un addr;
    int fd = unix_socket(arg, &addr);
    if (fd < 0 || connect(fd, (struct sockaddr*)&addr, sizeof(addr)) != 0) return errno;
    close(fd);
    return 0;
  }
  if (strcmp(what, "listen") == 0) return serve(arg);
  if (strcmp(what, "sethostname") == 0) {  // CAP_SYS_ADMIN; sets the name it has
    char name[65] = {0};
    if (gethostname(name, sizeof(name) - 1) != 0) return errno;
    return sethostname(name, strlen(name)) == 0 ? 0 : errno;
  }
  if (strcmp(what, "chown") == 0) {  // CAP_CHOWN; gives the file back to root
    if (chown(arg, 1, 1) != 0) return errno;
    return chown(arg, 0, 0) == 0 ? 0 : errno;
  }
  fprintf(stderr, "unknown action %s\n", what);
  return SYVA_TEST_EXIT_USAGE;
}

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    fprintf(stderr,
            "usage: %s open PATH | kill PID | ptrace PID | connect SOCKET | listen SOCKET | sethostname | "
            "chown PATH | fork ACTION [ARG]\n",
            argv[0]);
    return SYVA_TEST_EXIT_USAGE;
  }
  if (strcmp(argv[1], "fork") == 0) return argc > 2 ? in_child(argv[2], argc > 3 ? argv[3] : "") : SYVA_TEST_EXIT_USAGE;
  return act(argv[1], argc > 2 ? argv[2] : "");
}
