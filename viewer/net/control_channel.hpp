// control_channel.hpp - the camera's controls between a Viewer (main thread) and its native
// connection (network thread): requests out, the daemon's answers and change notices in.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "shared/protocol.hpp"

namespace camstream {

// What the daemon said about its controls, in the order it said it.
struct ControlEvent {
  enum class Kind {
    kList,        // json: {"controls": [...], "still": {...}}
    kResult,      // json: {"applied": {...}, "refused": {...}}, the answer to one set()
    kChanged,     // json: {"NAME": value, ...}, changed by anyone
    kStill,       // header and jpeg: a full-size still
    kStillError,  // text: why no still comes
  };
  Kind kind = Kind::kList;
  nlohmann::json json;
  std::string text;
  proto::FrameHeader header;
  std::vector<std::uint8_t> jpeg;
};

// Requests made while no connection stands wait for the next one, which sends them once it
// has finished its handshake; a connection that ends with sets unanswered reports each as a
// result refused with the reason (it may or may not have been applied). Thread-safe.
class ControlChannel {
 public:
  // Main thread. Each request becomes one message; results come back in order.
  void set(const nlohmann::json& values, bool persist = false);
  void request_still();
  std::vector<ControlEvent> take_events();
  // Sets sent or waiting whose result has not come yet.
  std::size_t unanswered() const;

  // Network thread. `wake` makes the connection send what waits (it is called from any
  // thread, under the channel's lock, and must only post); the connection detaches before
  // its event loop is gone.
  void attach(std::function<void()> wake);
  void detach();
  // The encoded messages waiting to go, oldest first; each set among them now awaits its
  // result.
  std::vector<std::vector<std::uint8_t>> take_outgoing();
  // An event from the daemon (a result answers the oldest set sent).
  void post(ControlEvent event);

 private:
  void push_locked(std::vector<std::uint8_t> message, bool is_set);

  mutable std::mutex mutex_;
  std::function<void()> wake_;
  std::deque<std::vector<std::uint8_t>> outgoing_;
  std::vector<ControlEvent> events_;
  std::size_t waiting_sets_ = 0;  // in outgoing_
  std::size_t sent_sets_ = 0;     // sent on the current connection, unanswered
};

}  // namespace camstream
