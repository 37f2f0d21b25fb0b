// session.hpp - a client connection as the server sees it, whatever its dialect, and what a
// connection may ask of the server (SessionHost).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <asio.hpp>
#include <asio/ssl.hpp>

#include "device/capture/demand.hpp"
#include "device/encode/encoded_frame.hpp"
#include "device/figures.hpp"
#include "device/serve/access.hpp"
#include "shared/log.hpp"

namespace camstream {

class Controls;

// What the server lets clients take, each a daemon flag (device/options.cpp). The defaults
// fit a small board: at most max_clients + max_handshakes sockets, so about 330 descriptors.
struct ServerLimits {
  // A new connection must say which protocol it speaks within this time (and an HTTP client
  // finish each request head within it).
  std::chrono::milliseconds handshake_timeout{5000};
  // A client whose socket has taken no byte for this long while a write waited is cut
  // (StallDetector): it holds a frame and counts as a watcher while watching nothing live.
  std::chrono::milliseconds write_timeout{30000};
  // Clients being served at once: streaming, or being answered a request.
  int max_clients = 256;
  // Connections that have not yet said what they want (the sniff, the native hello, an HTTP
  // request head, a kept-alive connection between requests). Kept apart from max_clients so
  // that silent sockets cannot take the slots of viewers; when it is full the oldest is
  // dropped for the newcomer, so silence holds a slot only until newer connections need it.
  int max_handshakes = 64;
  // A handshake younger than this is not dropped for a newcomer, which waits in the listen
  // queue instead: a real client's first bytes come with its connection or a round trip after
  // it, so a burst of viewers is let in in turn rather than dropping each other, and a crowd
  // that reconnects as fast as it is dropped gets through the handshake stage at most
  // max_handshakes times per grace (640 a second at the defaults) instead of as fast as it can
  // connect (about 14 000 a second from one Python thread on the test machine).
  std::chrono::milliseconds handshake_grace{100};
  // Connections of any kind from one address (limit_key: an IPv4 address, an IPv6 /64);
  // 0 = no limit.
  int max_per_address = 32;
};

// Who a client is, as the server counts and names it.
struct Peer {
  asio::ip::address address;
  std::string name;  // "192.168.1.20:50412", in log lines and /status
  std::string key;   // limit_key_text(address): log lines are rate-limited per key
};

// One client connection: first a Connection that tells the dialects apart, then the
// NativeSession or HttpSession it hands the socket to. The server keeps each in a set and
// calls these on its event loop; a session keeps itself alive (shared_from_this) while it
// waits for anything and tells the host when it ends.
class Session {
 public:
  virtual ~Session() = default;
  // A new frame was published. Sessions that do not stream ignore it.
  virtual void deliver(const EncodedFramePtr& frame) = 0;
  // Ends the session now, from outside (the server stops): the socket closes and the session
  // calls nothing on the host any more.
  virtual void close(const std::string& reason) = 0;
  // This client's line in /status while it is being sent a stream.
  virtual std::optional<ClientFigures> client_figures(std::uint64_t now_us) const = 0;
  virtual const Peer& peer() const = 0;
};

// What a session needs from the server: frames, figures, counting, and its own fate. All of
// it runs on the server's event loop.
class SessionHost {
 public:
  virtual ~SessionHost() = default;
  virtual const ServerLimits& limits() const = 0;

  // The newest frame if it is recent, else null (nothing new was captured while nobody watched).
  virtual EncodedFramePtr latest_frame() = 0;
  // Counts the holder as a watcher for the Watch's lifetime: frames are captured and encoded
  // only while someone watches.
  virtual Demand::Watch watch() = 0;
  // Whether frames are being produced now, so latest_frame() is current.
  virtual bool frames_flowing() = 0;
  // Asks for the next frame published, even while nobody watches. `done` runs once on the
  // event loop with that frame, or with nullptr when the daemon stops; the returned id goes
  // to cancel_frame_request() when the caller stops waiting first.
  // With `captured_after_us`, only a frame captured at or after it answers.
  virtual std::uint64_t request_frame(std::function<void(const EncodedFramePtr&)> done,
                                      std::uint64_t captured_after_us = 0) = 0;
  // A full-size still (FrameSource::request_still), answered like request_frame(); 0 with a
  // sentence in `error` when the source makes none.
  virtual std::uint64_t request_still(std::function<void(const EncodedFramePtr&)> done,
                                      std::string& error) = 0;
  // Either kind of request.
  virtual void cancel_frame_request(std::uint64_t id) = 0;
  // The controls of the daemon and its camera; null when the server was given none.
  virtual Controls* controls() = 0;

  // Who may do what; the sessions ask it for each request or handshake.
  virtual Access& access() = 0;
  // The TLS context when the server speaks TLS beside the clear dialects, else null.
  virtual asio::ssl::context* tls_context() = 0;
  // A client presented credentials that matched nothing: counted, and logged now and then.
  virtual void auth_failed(const Peer& peer) = 0;

  // One snapshot of every figure, for /status, /metrics and the page.
  virtual Figures figures() = 0;
  // A frame went out to a streaming client, its write taking `write_us`; or one was replaced
  // unsent.
  virtual void frame_sent(std::uint64_t write_us) = 0;
  virtual void frame_skipped() = 0;

  // The dialect is known: `to` takes over the socket and `from`'s place among the sessions
  // (still in the handshake budget).
  virtual void hand_over(const Session& from, std::shared_ptr<Session> to) = 0;
  // The client said what it wants: the session leaves the handshake budget and takes a
  // client slot. False when max_clients are being served; the session then refuses the
  // client (and stays a handshake until it ends).
  virtual bool admit(const Session& session) = 0;
  // The session waits for its client again (a kept-alive HTTP connection between requests,
  // or draining after its last answer): it gives its client slot back and re-enters the
  // handshake budget as its newest member.
  virtual void await_client(const Session& session) = 0;
  // The session is over (its socket closed): forget it. `refused`: the client spoke nothing
  // this server accepts, which counts as a refused connection.
  virtual void ended(const Session& session, bool refused) = 0;
  // The session is being cut because its socket took no byte for the write timeout.
  virtual void client_stalled() = 0;

  // A line about a client for the log, rate-limited per address (ClientLog): every line about
  // a client goes through here, so no client can flood the log.
  virtual void log_client(log::Level level, const Peer& peer, std::string_view message) = 0;
};

}  // namespace camstream
