#include "events/event_reader.h"

#include <bpf/libbpf.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

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
    while (!stop_) {
      int n = ring_buffer__poll(rb_, 200 /* ms: bounds shutdown latency */);
      if (n < 0 && n != -EINTR) {
        spdlog::error("reading the events ring buffer failed: {}", strerror(-n));
        return;
      }
    }
  });
}

}  // namespace syva
