// stream_link.hpp - what both camview connections share: a network thread with its own event
// loop, connecting under a deadline, an idle deadline while streaming, one clear end.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include <asio.hpp>

#include "shared/address.hpp"
#include "shared/byte_stream.hpp"
#include "viewer/net/frame_mailbox.hpp"
#include "viewer/net/tls_client.hpp"

namespace camstream {

struct ConnectionLimits {
  std::chrono::milliseconds connect_timeout{5000};
  // No byte for this long means a dead link (camstreamd answers a ping every second).
  std::chrono::milliseconds idle_timeout{10000};
  std::chrono::milliseconds ping_interval{1000};
};

// Runs its own thread and event loop. Frames go into the mailbox; `notify` is called on the
// network thread after every put() and after the mailbox is closed, and must not block.
// A subclass speaks one protocol from on_connected() on, and must call stop() in its own
// destructor, before the members the network thread uses are gone.
class StreamLink {
 public:
  // `tls`: TLS over the connection, trusted as it says; null for a connection in the clear.
  StreamLink(HostPort server, std::string name, std::string peer_kind, FrameMailbox& mailbox,
             std::function<void()> notify, ConnectionLimits limits,
             std::shared_ptr<TlsClient> tls = nullptr);
  virtual ~StreamLink();
  StreamLink(const StreamLink&) = delete;
  StreamLink& operator=(const StreamLink&) = delete;

  void start();
  // Ends the stream and joins the network thread; safe to call more than once.
  void stop();

  std::uint64_t bytes_received() const { return bytes_received_.load(); }
  std::uint64_t frames_received() const { return frames_received_.load(); }
  // Sequence numbers the server never sent (skipped for this client, or dropped).
  std::uint64_t frames_lost() const { return frames_lost_.load(); }
  // Estimated server clock minus viewer clock, in µs; false while unknown or not measurable.
  virtual bool clock_offset(std::int64_t& offset_us) const;

 protected:
  // Called on the network thread once the connection stands (and TLS, when asked for, is up
  // with a trusted certificate).
  virtual void on_connected() = 0;
  // Called on the network thread when the stream ends, to cancel the subclass's own timers.
  virtual void on_closing() {}

  // Ends the stream with `message` as the reason the user reads; later calls do nothing.
  void fail(const std::string& message);
  // The same for an end that trying again cannot mend (credentials, protocol version, a peer
  // that is not a camera): a reconnecting viewer stops there.
  void fail_for_good(const std::string& message);
  // Marks the link as streaming and restarts the idle deadline.
  void touch();
  // An async_read completion condition that takes any progress as a sign of life, so that a
  // large frame on a slow link does not trip the idle deadline.
  std::function<std::size_t(const std::error_code&, std::size_t)> progress();
  // Hands a frame to the mailbox and wakes the consumer.
  void deliver(ReceivedFrame&& frame);
  // Wakes the consumer for something other than a frame (the controls' answers).
  void wake() { notify_(); }

  const std::string& name() const { return name_; }
  bool done() const { return done_; }

  asio::io_context io_;
  ByteStream stream_;
  std::atomic<std::uint64_t> bytes_received_{0};
  std::atomic<std::uint64_t> frames_lost_{0};

 private:
  void run();
  void wait_deadline();
  void start_tls();
  void end(const std::string& message, bool permanent);

  HostPort server_;
  std::string name_;       // the address or URL, for messages
  std::string peer_kind_;  // "camstreamd" or "the server", for messages
  FrameMailbox& mailbox_;
  std::function<void()> notify_;
  ConnectionLimits limits_;
  std::shared_ptr<TlsClient> tls_;
  asio::ip::tcp::resolver resolver_;
  asio::steady_timer deadline_;
  std::thread thread_;
  bool streaming_ = false;
  bool done_ = false;
  std::atomic<std::uint64_t> frames_received_{0};
};

}  // namespace camstream
