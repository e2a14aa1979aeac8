// SPDX-License-Identifier: Apache-2.0
#include "events/event_reader.h"

#include <bpf/libbpf.h>
#include <sys/epoll.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "events/batched_log_sink.h"

namespace syva {

EventReader::EventReader(int events_map_fd, Handler handler) : handler_(std::move(handler)) {
  rb_ = ring_buffer__new(events_map_fd, &EventReader::on_sample, this, nullptr);
  if (!rb_) throw std::runtime_error(fmt::format("opening the events ring buffer failed: {}", strerror(errno)));
}

EventReader::~EventReader() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  ring_buffer__consume(rb_);
  ring_buffer__free(rb_);
}

int EventReader::on_sample(void* ctx, void* data, size_t size) {
  auto* self = static_cast<EventReader*>(ctx);
  if (size < sizeof(syva_event)) {
    spdlog::warn("short event from the kernel ({} bytes), skipped", size);
    return 0;
  }
  syva_event e;
  memcpy(&e, data, sizeof(e));
  self->handler_(e);
  return 0;
}

int EventReader::drain() { return ring_buffer__consume(rb_); }

void EventReader::start() {
  thread_ = std::thread([this] {
    const int epoll_fd = ring_buffer__epoll_fd(rb_);
    while (!stop_) {
      epoll_event ready;
      int n = epoll_wait(epoll_fd, &ready, 1, 200 /* ms: bounds shutdown latency */);
      if (n < 0 && errno != EINTR) {
        spdlog::error("waiting on the events ring buffer failed: {}", strerror(errno));
        return;
      }
      if (n <= 0) continue;
      LogBatch batch;  // what one wake-up drains is logged in one write
      if (int err = ring_buffer__consume(rb_); err < 0) {
        spdlog::error("reading the events ring buffer failed: {}", strerror(-err));
        return;
      }
    }
  });
}

}  // namespace syva
