// SPDX-License-Identifier: Apache-2.0
// Drains the `events` ring buffer on its own thread. The kernel never waits
// for this reader: when it falls behind, the programs count drops instead.
#pragma once

#include <atomic>
#include <functional>
#include <thread>

#include "syva_abi.h"

struct ring_buffer;

namespace syva {

class EventReader {
 public:
  using Handler = std::function<void(const syva_event&)>;

  EventReader(int events_map_fd, Handler handler);
  ~EventReader();  // stops and joins, after draining what is there
  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;

  // Reads what is in the buffer now, on the caller's thread (tests use this
  // without start()).
  int drain();
  void start();

 private:
  static int on_sample(void* ctx, void* data, size_t size);

  Handler handler_;
  ring_buffer* rb_ = nullptr;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace syva
