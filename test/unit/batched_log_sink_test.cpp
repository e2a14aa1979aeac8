// SPDX-License-Identifier: Apache-2.0
// The agent's log sink, writing to a pipe in place of stdout: lines inside a
// LogBatch wait for its end; other lines go at once, after those held.
#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <thread>

#include <spdlog/spdlog.h>

#include "events/batched_log_sink.h"

using namespace syva;

namespace {

// fd 1 is a non-blocking pipe while one lives; the test logger is the default.
class StdoutPipe {
 public:
  StdoutPipe() {
    REQUIRE(pipe2(fds_, O_NONBLOCK) == 0);
    REQUIRE(fcntl(fds_[1], F_SETPIPE_SZ, 1 << 20) >= (1 << 20));  // holds all a test writes
    saved_ = dup(STDOUT_FILENO);
    REQUIRE(dup2(fds_[1], STDOUT_FILENO) == STDOUT_FILENO);
    previous_ = spdlog::default_logger();
    auto logger = std::make_shared<spdlog::logger>("batched", std::make_shared<BatchedStdoutSink>());
    logger->set_pattern("%v");
    spdlog::set_default_logger(logger);
  }
  ~StdoutPipe() {
    spdlog::set_default_logger(previous_);
    dup2(saved_, STDOUT_FILENO);
    close(saved_);
    close(fds_[0]);
    close(fds_[1]);
  }
  std::string read_all() {
    std::string out;
    char buf[4096];
    for (ssize_t n; (n = read(fds_[0], buf, sizeof(buf))) > 0;) out.append(buf, static_cast<size_t>(n));
    return out;
  }

 private:
  int fds_[2];
  int saved_;
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace

TEST_CASE("log lines of a batch are written when it ends, others at once and in order", "[events]") {
  StdoutPipe out;
  spdlog::info("before");
  CHECK(out.read_all() == "before\n");
  {
    LogBatch batch;
    spdlog::warn("DENY 1");
    spdlog::warn("DENY 2");
    CHECK(out.read_all().empty());
  }
  CHECK(out.read_all() == "DENY 1\nDENY 2\n");

  // Another thread's line does not wait, and does not overtake held lines.
  {
    LogBatch batch;
    spdlog::warn("DENY 3");
    std::thread([] { spdlog::info("membership +"); }).join();
    CHECK(out.read_all() == "DENY 3\nmembership +\n");
    spdlog::warn("DENY 4");
    CHECK(out.read_all().empty());
  }
  CHECK(out.read_all() == "DENY 4\n");

  // A long batch is not held without bound.
  {
    LogBatch batch;
    const std::string line(1000, 'x');
    for (int i = 0; i < 100; ++i) spdlog::warn("{}", line);
    CHECK(out.read_all().size() == 66 * 1001);  // the first 64 KiB and the line that passed it
  }
  CHECK(out.read_all().size() == 34 * 1001);
}
