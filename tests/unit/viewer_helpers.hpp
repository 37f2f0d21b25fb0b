// viewer_helpers.hpp - shared by camview's tests: frames, a scripted loopback server, waits.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>

#include <asio.hpp>

#include "shared/clock.hpp"
#include "shared/protocol.hpp"
#include "tests/unit/helpers.hpp"
#include "viewer/frame.hpp"
#include "viewer/net/frame_mailbox.hpp"
#include "viewer/net/stream_link.hpp"

namespace camstream::testing {

// A stand-in server on 127.0.0.1, on its own event loop thread. It accepts one client, reads
// the client's opening (until `opening_done` says the bytes so far hold all of it), and only
// then writes what the test passed to send(), in order; hang_up() ends the connection (a FIN)
// once what was sent before it is written. It reads and keeps whatever the client sends until the
// client goes. Declare it before the connection under test, so the connection ends first.
class ScriptedPeer {
 public:
  using OpeningDone = std::function<bool(std::string_view received)>;

  // What a camview speaking the native protocol sends first: its hello.
  static OpeningDone native_hello() {
    return [](std::string_view r) { return r.size() >= proto::kClientHelloSize; };
  }
  // What an HTTP client sends first: a request head.
  static OpeningDone http_request() {
    return [](std::string_view r) { return r.find("\r\n\r\n") != std::string_view::npos; };
  }

  explicit ScriptedPeer(OpeningDone opening_done)
      : acceptor_(io_, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        socket_(io_),
        opening_done_(std::move(opening_done)) {
    acceptor_.async_accept(socket_, [this](std::error_code ec) {
      if (!ec) read();
    });
    thread_ = std::thread([this] { io_.run(); });
  }

  ~ScriptedPeer() {
    asio::post(io_, [this] {
      std::error_code ignored;
      acceptor_.close(ignored);
      socket_.close(ignored);
    });
    work_.reset();
    thread_.join();
  }

  ScriptedPeer(const ScriptedPeer&) = delete;
  ScriptedPeer& operator=(const ScriptedPeer&) = delete;

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }

  void send(std::string bytes) {
    asio::post(io_, [this, b = std::move(bytes)]() mutable {
      script_.push_back(std::move(b));
      write_next();
    });
  }
  void send(std::span<const std::uint8_t> bytes) { send(std::string(bytes.begin(), bytes.end())); }
  void hang_up() {
    asio::post(io_, [this] {
      script_.push_back(std::nullopt);
      write_next();
    });
  }

  // Everything the client has sent so far.
  std::string received() const {
    std::lock_guard lock(mutex_);
    return received_;
  }
  // The client closed its end, or reset it.
  bool client_gone() const { return client_gone_.load(); }

 private:
  void read() {
    socket_.async_read_some(asio::buffer(in_), [this](std::error_code ec, std::size_t n) {
      if (ec) {
        client_gone_ = true;
        return;
      }
      {
        std::lock_guard lock(mutex_);
        received_.append(reinterpret_cast<const char*>(in_.data()), n);
        if (!opened_) opened_ = opening_done_(received_);
      }
      write_next();
      read();
    });
  }

  // On the loop: writes the next piece of the script once the client's opening is in.
  void write_next() {
    {
      std::lock_guard lock(mutex_);
      if (!opened_) return;
    }
    if (writing_ || script_.empty()) return;
    if (!script_.front()) {
      // Ends our side only, as camstreamd does: a close() with the client's last Ping still
      // unread would send a reset, and the client would see "connection reset" instead of
      // the end of the stream. The read loop goes on until the client closes.
      std::error_code ignored;
      socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
      script_.clear();
      return;
    }
    writing_ = true;
    asio::async_write(socket_, asio::buffer(*script_.front()),
                      [this](std::error_code ec, std::size_t) {
                        writing_ = false;
                        script_.pop_front();
                        if (ec) {
                          script_.clear();  // the client has gone: nothing more reaches it
                          return;
                        }
                        write_next();
                      });
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  asio::ip::tcp::acceptor acceptor_;
  asio::ip::tcp::socket socket_;
  OpeningDone opening_done_;
  std::array<std::uint8_t, 4096> in_{};
  std::deque<std::optional<std::string>> script_;  // nullopt: hang up here
  bool writing_ = false;
  mutable std::mutex mutex_;
  std::string received_;
  bool opened_ = false;
  std::atomic<bool> client_gone_{false};
  std::thread thread_;
};

// The test pattern's frame `seq` as the native connection hands it over: the payload holds the
// frame header, then the JPEG.
inline ReceivedFrame received_frame(std::uint64_t seq, int width = 320, int height = 240) {
  const auto encoded = make_encoded_frame(seq, width, height);
  ReceivedFrame frame;
  frame.header = encoded->header;
  // The frame message's payload: the frame header (after the message header), then the JPEG.
  const std::span<const std::uint8_t> prefix(encoded->prefix);
  frame.payload.resize(proto::kFrameHeaderSize + encoded->jpeg().size());
  std::copy(prefix.begin() + proto::kMessageHeaderSize, prefix.end(), frame.payload.begin());
  std::copy(encoded->jpeg().begin(), encoded->jpeg().end(),
            frame.payload.begin() + proto::kFrameHeaderSize);
  frame.jpeg_offset = proto::kFrameHeaderSize;
  frame.received_us = monotonic_us();
  return frame;
}

// One multipart part as camstreamd writes it: the boundary line, fields, a blank line, the
// JPEG and CRLF. `length` adds Content-Length; `extra` holds more field lines, each with CRLF.
inline std::string mjpeg_part(std::string_view boundary_line, std::string_view jpeg, bool length,
                              std::string_view extra = "") {
  std::string s = std::string(boundary_line) + "\r\nContent-Type: image/jpeg\r\n";
  if (length) s += "Content-Length: " + std::to_string(jpeg.size()) + "\r\n";
  return s.append(extra).append("\r\n").append(jpeg).append("\r\n");
}

// `body` in chunked transfer coding, `step` bytes a chunk (each with a chunk extension, which
// readers must skip), ended by the last chunk when `last`. Cut at a multiple of `step`, a body
// makes the same chunks in two calls as in one.
inline std::string chunked(std::string_view body, std::size_t step, bool last = true) {
  std::string out;
  for (std::size_t i = 0; i < body.size(); i += step) {
    const std::string_view piece = body.substr(i, step);
    char size[24];
    std::snprintf(size, sizeof size, "%zx", piece.size());
    out.append(size).append(";ext=1\r\n").append(piece).append("\r\n");
  }
  return last ? out + "0\r\n\r\n" : out;
}

// Counts the connection's notify() calls.
struct Notified {
  std::atomic<int> count{0};
  std::function<void()> fn() {
    return [this] { count.fetch_add(1); };
  }
};

// Deadlines far from anything a test waits for, and a ping every 20 ms.
inline ConnectionLimits quick_limits() {
  ConnectionLimits l;
  l.connect_timeout = 5s;
  l.idle_timeout = 5s;
  l.ping_interval = 20ms;
  return l;
}

// Waits for a frame with at least `seq`; nothing if the mailbox closed or time ran out.
inline std::optional<ReceivedFrame> wait_frame(FrameMailbox& box, std::uint64_t seq) {
  const auto deadline = std::chrono::steady_clock::now() + kTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    auto f = box.wait_take(50ms);
    if (f && f->header.seq >= seq) return f;
    if (!f && box.closed()) return std::nullopt;
  }
  return std::nullopt;
}

inline bool wait_closed(const FrameMailbox& box) {
  return eventually([&box] { return box.closed(); });
}

// Once a stream has ended: the mailbox holds the frame numbered `good` (none when 0), so
// nothing that came after it got through.
inline void expect_last_delivered(FrameMailbox& box, std::uint64_t good) {
  const auto delivered = box.take();
  if (good == 0) {
    EXPECT_FALSE(delivered.has_value()) << "a frame got through";
  } else {
    ASSERT_TRUE(delivered.has_value());
    EXPECT_EQ(delivered->header.seq, good);
  }
}

}  // namespace camstream::testing
