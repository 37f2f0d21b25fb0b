// stall_detector.hpp - notices a client whose socket has taken no byte for the write timeout.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <system_error>

#include <asio.hpp>

namespace camstream {

// A session writes everything through write(): while a write waits, the detector calls the
// session's on_stall once no byte has moved for the timeout. Progress is each step of the
// write (asio writes at most 64 KiB per step, and a step completes only when the kernel took
// bytes, which a full send buffer does only as the peer acknowledges data), so a client that
// reads slowly but steadily is never cut however long a frame takes, and one that stopped
// reading is cut a timeout after its last byte moved, not a timeout after a write began (that
// let a stalled client live for ~45 s, issue 10). Between writes the clock does not run.
//
// Cheap per frame: the timer is armed once and, when it expires, re-armed from the last
// progress, so a busy client costs one timer event per timeout, not one per write. Used on
// the server's event loop only.
class StallDetector {
 public:
  using Clock = std::chrono::steady_clock;

  StallDetector(const asio::any_io_executor& executor, std::chrono::milliseconds timeout)
      : timer_(executor), timeout_(timeout) {}

  // What to do about a stall; it holds what it needs alive (the session's shared_ptr) until
  // cancel(). Set before the first write.
  void on_stall(std::function<void()> f) { on_stall_ = std::move(f); }

  // Writes all of `buffers` (which stay alive until `done` runs) under watch, then calls
  // done(error, bytes). `done` must hold the session, and so this detector, alive.
  template <typename Stream, typename Buffers, typename Handler>
  void write(Stream& stream, const Buffers& buffers, Handler done) {
    begin();
    asio::async_write(stream, buffers, Progress{this},
                      [this, done = std::move(done)](std::error_code e, std::size_t n) mutable {
                        end();
                        done(e, n);
                      });
  }

  // The session closes: no more calls, and on_stall (with what it holds) is let go.
  void cancel();

  // Exposed for tests and for writes not made through write(): a write begins, some bytes
  // moved, the write ended.
  void begin();
  void progress() { last_progress_ = Clock::now(); }
  void end() { writing_ = false; }

  bool writing() const { return writing_; }

 private:
  // asio::async_write's completion condition: each call follows a step that moved bytes.
  struct Progress {
    StallDetector* detector;
    std::size_t operator()(const std::error_code& e, std::size_t total) const {
      if (total > 0) detector->progress();
      return asio::transfer_all()(e, total);
    }
  };

  void arm(Clock::time_point at);
  void expired();

  asio::steady_timer timer_;
  const std::chrono::milliseconds timeout_;
  std::function<void()> on_stall_;
  Clock::time_point last_progress_{};
  bool writing_ = false;
  bool armed_ = false;
  bool cancelled_ = false;
  std::uint64_t generation_ = 0;  // tells a current expiry from one of before cancel()
};

}  // namespace camstream
