// session.hpp - a client connection as the server sees it, whatever its dialect, and what a
// connection may ask of the server (SessionHost).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "device/capture/demand.hpp"
#include "device/encode/encoded_frame.hpp"
#include "device/figures.hpp"
#include "device/serve/access.hpp"

namespace camstream {

struct ServerLimits {
  // A new connection must say which protocol it speaks within this time (and an HTTP client
  // finish each request head within it).
  std::chrono::milliseconds handshake_timeout{5000};
  // A client whose socket takes one frame for longer than this is disconnected: it holds a
  // frame in memory and is not watching anything live anyway.
  std::chrono::milliseconds write_timeout{30000};
  int max_clients = 256;
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
  virtual std::uint64_t request_frame(std::function<void(const EncodedFramePtr&)> done) = 0;
  virtual void cancel_frame_request(std::uint64_t id) = 0;

  // Who may do what; the sessions ask it for each request or handshake.
  virtual Access& access() = 0;
  // A client presented credentials that matched nothing: counted, and logged now and then.
  virtual void auth_failed(const std::string& peer) = 0;

  // One snapshot of every figure, for /status, /metrics and the page.
  virtual Figures figures() = 0;
  // A frame went out to a streaming client, its write taking `write_us`; or one was replaced
  // unsent.
  virtual void frame_sent(std::uint64_t write_us) = 0;
  virtual void frame_skipped() = 0;

  // The dialect is known: `to` takes over the socket and `from`'s place among the sessions.
  virtual void hand_over(const Session& from, std::shared_ptr<Session> to) = 0;
  // The session is over (its socket closed): forget it. `refused`: the client spoke nothing
  // this server accepts, which counts as a refused connection.
  virtual void ended(const Session& session, bool refused) = 0;
};

}  // namespace camstream
