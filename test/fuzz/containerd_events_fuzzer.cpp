// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: decoding containerd's event stream.
//
// The input is the wire bytes of one containerd.services.events.v1.Envelope,
// as the watcher receives it from Events.Subscribe. Bytes protobuf cannot
// parse are rejected here (gRPC would have refused them before the watcher
// saw them). A parsed envelope goes through decode_event, whose contract is:
// a WatchEvent, or std::runtime_error for a watched topic whose payload is not
// the expected message; nothing else thrown, no memory error or undefined
// behaviour (ASan/UBSan), and an event of a kind other than `ignored` only
// for the watched topics.
#include <cstdint>
#include <string>

#include <google/protobuf/stubs/logging.h>

#include "fuzz/fuzz_util.h"
#include "watcher/containerd_events.h"

using namespace syva;
using containerd::services::events::v1::Envelope;

namespace {

bool watched(const std::string& topic) {
  for (const auto& filter : watched_topic_filters())
    if (filter == "topic==\"" + topic + "\"") return true;
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // protobuf logs every string field that is not UTF-8; the parse fails
  // either way, and the log would drown libFuzzer's own output.
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Envelope envelope;
  if (!envelope.ParseFromArray(data, static_cast<int>(size))) return -1;  // not kept in the corpus
  WatchEvent event;
  try {
    event = decode_event(envelope);
  } catch (const std::runtime_error& e) {
    SYVA_FUZZ_EXPECT(watched(envelope.topic()));
    return 0;
  } catch (const std::exception& e) {
    fuzz::fail("decode_event threw something other than std::runtime_error", e.what());
  } catch (...) {
    fuzz::fail("decode_event threw a non-exception");
  }
  SYVA_FUZZ_EXPECT(event.ns == envelope.namespace_());
  SYVA_FUZZ_EXPECT(event.topic == envelope.topic());
  if (event.kind != WatchEvent::Kind::ignored) SYVA_FUZZ_EXPECT(watched(envelope.topic()));
  if (!watched(envelope.topic())) SYVA_FUZZ_EXPECT(event.kind == WatchEvent::Kind::ignored);
  return 0;
}
