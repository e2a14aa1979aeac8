// SPDX-License-Identifier: Apache-2.0
// One action, run inside a test container: the exit code is 0 on success or
// the errno the kernel answered, so the test reads the kernel's decision
// straight from `ctr task exec` (test/support/exit_codes.h has the other
// codes). Static: the test image is only busybox.
//   zone-probe open PATH | kill PID | ptrace PID | connect SOCKET | listen SOCKET
//              | write PATH | sethostname | chown PATH | fork ACTION [ARG]
//              | serve-ip PORT | tcp-connect IPV4:PORT | udp-echo IPV4:PORT
#include <errno.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
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

// How long an IP attempt waits for an answer: a connection request or a
// datagram a receiving hook drops gets none.
#define IP_WAIT_MS 2000

static int ipv4_address(const char* text, struct sockaddr_in* addr) {
  char host[64];
  const char* colon = strrchr(text, ':');
  if (!colon || (size_t)(colon - text) >= sizeof(host)) return 0;
  memcpy(host, text, colon - text);
  host[colon - text] = 0;
  memset(addr, 0, sizeof(*addr));
  addr->sin_family = AF_INET;
  addr->sin_port = htons((unsigned short)atoi(colon + 1));
  return inet_pton(AF_INET, host, &addr->sin_addr) == 1;
}

// TCP connections are accepted and closed; each UDP datagram is sent back
// to its sender, so a sender can tell that it arrived.
static int serve_ip(const char* port) {
  struct sockaddr_in addr;
  memset(&addr, 0, sizeof(addr));
  addr.sin_family = AF_INET;
  addr.sin_port = htons((unsigned short)atoi(port));
  int one = 1;
  int tcp = socket(AF_INET, SOCK_STREAM, 0), udp = socket(AF_INET, SOCK_DGRAM, 0);
  if (tcp < 0 || udp < 0) return errno;
  setsockopt(tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(tcp, (struct sockaddr*)&addr, sizeof(addr)) != 0 || listen(tcp, 16) != 0 ||
      bind(udp, (struct sockaddr*)&addr, sizeof(addr)) != 0)
    return errno;
  for (;;) {
    struct pollfd fds[2] = {{tcp, POLLIN, 0}, {udp, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[0].revents & POLLIN) {
      int c = accept(tcp, NULL, NULL);
      if (c >= 0) close(c);
    }
    if (fds[1].revents & POLLIN) {
      char buf[64];
      struct sockaddr_in from;
      socklen_t len = sizeof(from);
      ssize_t n = recvfrom(udp, buf, sizeof(buf), 0, (struct sockaddr*)&from, &len);
      if (n >= 0) sendto(udp, buf, (size_t)n, 0, (struct sockaddr*)&from, len);
    }
  }
}

// 0: connected; ETIMEDOUT: no answer within IP_WAIT_MS; else connect's errno.
static int tcp_connect(const char* target) {
  struct sockaddr_in addr;
  if (!ipv4_address(target, &addr)) return SYVA_TEST_EXIT_USAGE;
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) return errno;
  if (connect(fd, (struct sockaddr*)&addr, sizeof(addr)) == 0) return 0;
  if (errno != EINPROGRESS) return errno;
  struct pollfd p = {fd, POLLOUT, 0};
  if (poll(&p, 1, IP_WAIT_MS) == 0) return ETIMEDOUT;
  int error = 0;
  socklen_t len = sizeof(error);
  getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
  close(fd);
  return error;
}

// 0: the datagram came back (see serve_ip); ETIMEDOUT: it did not; else
// sendto's errno.
static int udp_echo(const char* target) {
  struct sockaddr_in addr;
  if (!ipv4_address(target, &addr)) return SYVA_TEST_EXIT_USAGE;
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return errno;
  if (sendto(fd, "syva", 4, 0, (struct sockaddr*)&addr, sizeof(addr)) != 4) return errno;
  struct pollfd p = {fd, POLLIN, 0};
  if (poll(&p, 1, IP_WAIT_MS) == 0) return ETIMEDOUT;
  char buf[8];
  return recv(fd, buf, sizeof(buf), 0) == 4 ? 0 : errno;
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
  if (strcmp(what, "serve-ip") == 0) return serve_ip(arg);
  if (strcmp(what, "tcp-connect") == 0) return tcp_connect(arg);
  if (strcmp(what, "udp-echo") == 0) return udp_echo(arg);
  fprintf(stderr, "unknown action %s\n", what);
  return SYVA_TEST_EXIT_USAGE;
}

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    fprintf(stderr,
            "usage: %s open PATH | kill PID | ptrace PID | connect SOCKET | listen SOCKET | sethostname | "
            "chown PATH | fork ACTION [ARG] | serve-ip PORT | tcp-connect IPV4:PORT | udp-echo IPV4:PORT\n",
            argv[0]);
    return SYVA_TEST_EXIT_USAGE;
  }
  if (strcmp(argv[1], "fork") == 0) return argc > 2 ? in_child(argv[2], argc > 3 ? argv[3] : "") : SYVA_TEST_EXIT_USAGE;
  return act(argv[1], argc > 2 ? argv[2] : "");
}
