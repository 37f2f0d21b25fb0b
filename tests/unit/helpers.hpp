// helpers.hpp - shared by the unit tests: waits, encoded frames, a loopback client and server.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <asio.hpp>
#include <gtest/gtest.h>
#include <unistd.h>

#include "device/capture/pattern_source.hpp"
#include "device/encode/encoded_frame.hpp"
#include "device/serve/hub.hpp"
#include "device/serve/server.hpp"
#include "shared/clock.hpp"
#include "shared/jpeg.hpp"
#include "shared/protocol.hpp"
#include "shared/yuv.hpp"

namespace camstream::testing {

using namespace std::chrono_literals;

// Generous: these bound a failure, they are not performance expectations.
inline constexpr std::chrono::milliseconds kTimeout = 10s;

// Polls `pred` until it holds (true) or `timeout` passes (false): for state another thread
// changes that offers nothing to wait on.
template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = kTimeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// A thread running one call that should block, and a way to see that it does. Asserting that
// the call "has not returned yet" after a fixed sleep proves little on a busy machine; once
// asleep() has seen the thread sleeping in the kernel (state S in /proc: a futex, a socket, a
// timer), the call has made its choice to wait, and "not returned" means something.
class BlockingCall {
 public:
  template <typename F>
  explicit BlockingCall(F call)
      : thread_([this, call = std::move(call)]() mutable {
          tid_ = ::gettid();
          call();
          returned_ = true;
        }) {}
  ~BlockingCall() { join(); }
  BlockingCall(const BlockingCall&) = delete;
  BlockingCall& operator=(const BlockingCall&) = delete;

  // Waits until the thread sleeps with the call not returned: true; false when the call
  // returned first or kTimeout passed.
  bool asleep() const {
    bool sleeping = false;
    eventually([&] {
      if (returned_.load()) return true;
      sleeping = state() == 'S' && !returned_.load();
      return sleeping;
    });
    return sleeping;
  }
  bool returned() const { return returned_.load(); }
  void join() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  // The thread's scheduler state from /proc/self/task/TID/stat, '?' when unknown.
  char state() const {
    const pid_t tid = tid_.load();
    if (tid == 0) return '?';
    std::ifstream in("/proc/self/task/" + std::to_string(tid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) return '?';
    // "TID (NAME) STATE ...", where NAME may itself hold spaces and parentheses.
    const std::size_t close = line.rfind(')');
    return close != std::string::npos && close + 2 < line.size() ? line[close + 2] : '?';
  }

  std::atomic<pid_t> tid_{0};
  std::atomic<bool> returned_{false};
  std::thread thread_;
};

// The test pattern's frame `seq`, compressed and wrapped exactly as the encoder pool does it.
inline EncodedFramePtr make_encoded_frame(std::uint64_t seq, int width = 320, int height = 240,
                                          int quality = 80) {
  Yuv420Image image(width, height);
  PatternSource::render(image, seq);
  JpegEncoder encoder;
  const std::size_t capacity = JpegEncoder::max_size(width, height);
  auto frame = std::make_shared<EncodedFrame>();
  frame->data = JpegBuffer(capacity);
  const std::size_t size = encoder.compress(image.view(), quality, frame->data.get(), capacity);
  EXPECT_GT(size, 0u) << encoder.error();
  frame->header.seq = seq;
  frame->header.capture_us = monotonic_us();
  frame->header.width = static_cast<std::uint16_t>(width);
  frame->header.height = static_cast<std::uint16_t>(height);
  frame->header.subsampling = proto::Subsampling::k420;
  frame->header.jpeg_size = static_cast<std::uint32_t>(size);
  frame->prefix = proto::encode_frame_prefix(frame->header);
  return frame;
}

// A frame whose "JPEG" is `size` filler bytes: enough for the server, which never decodes.
inline EncodedFramePtr make_filler_frame(std::uint64_t seq, std::uint32_t size) {
  auto frame = std::make_shared<EncodedFrame>();
  frame->data = JpegBuffer(size);
  std::fill_n(frame->data.get(), size, static_cast<std::uint8_t>(seq));
  frame->header.seq = seq;
  frame->header.capture_us = monotonic_us();
  frame->header.width = 1920;
  frame->header.height = 1080;
  frame->header.jpeg_size = size;
  frame->prefix = proto::encode_frame_prefix(frame->header);
  return frame;
}

// One message as read off the wire by the viewer side of the protocol.
struct WireMessage {
  proto::MessageHeader header;
  std::vector<std::uint8_t> payload;
};

// Records the sequence numbers a hub hands on to its listener, as the server would get them.
class Heard {
 public:
  void attach(Hub& hub) {
    hub.set_listener([this](const EncodedFramePtr& f) {
      std::lock_guard lock(mutex_);
      seqs_.push_back(f->header.seq);
    });
  }
  std::vector<std::uint64_t> seqs() const {
    std::lock_guard lock(mutex_);
    return seqs_;
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return seqs_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::uint64_t> seqs_;
};

// A plain Asio client on its own io_context. Every read is bounded by a timeout, so a server
// that never answers fails the test instead of hanging it.
class LoopbackClient {
 public:
  // Connects to 127.0.0.1:`port` from `source` (any address of 127.0.0.0/8, which Linux answers
  // on lo), so that tests can be several hosts to the server's per-address limit.
  explicit LoopbackClient(std::uint16_t port, const char* source = "127.0.0.1") : socket_(io_) {
    const asio::ip::tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), port);
    std::error_code ec;
    socket_.open(asio::ip::tcp::v4(), ec);
    if (!ec) socket_.bind(asio::ip::tcp::endpoint(asio::ip::make_address(source), 0), ec);
    if (ec) return;
    socket_.async_connect(ep, [&ec](std::error_code e) { ec = e; });
    connected_ = run(kTimeout) && !ec;
  }

  bool connected() const { return connected_; }

  std::error_code write(std::span<const std::uint8_t> bytes) {
    std::error_code ec;
    asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()),
                      [&ec](std::error_code e, std::size_t) { ec = e; });
    if (!run(kTimeout)) return asio::error::timed_out;
    return ec;
  }

  // Reads exactly `size` bytes; asio::error::timed_out when they do not come in time.
  std::error_code read(std::uint8_t* data, std::size_t size,
                       std::chrono::milliseconds timeout = kTimeout) {
    std::error_code ec;
    asio::async_read(socket_, asio::buffer(data, size),
                     [&ec](std::error_code e, std::size_t) { ec = e; });
    if (!run(timeout)) return asio::error::timed_out;
    return ec;
  }

  // Completes the handshake; returns the server's decoded hello and the decode result.
  proto::Error hello(proto::ServerHello& reply, std::uint16_t version = proto::kVersion) {
    const auto bytes = proto::encode(proto::ClientHello{version, 0});
    if (write(bytes)) return proto::Error::kTruncated;
    proto::ServerHelloBytes in{};
    if (read(in.data(), in.size())) return proto::Error::kTruncated;
    return proto::decode(in, reply);
  }

  // The next whole message, checked as the viewer checks it; nothing on error or timeout.
  std::optional<WireMessage> read_message(std::chrono::milliseconds timeout = kTimeout) {
    proto::MessageHeaderBytes head{};
    if (read(head.data(), head.size(), timeout)) return std::nullopt;
    WireMessage m;
    if (proto::decode(head, m.header, proto::kMaxFramePayload) != proto::Error::kNone) {
      ADD_FAILURE() << "server sent a bad message header";
      return std::nullopt;
    }
    m.payload.resize(m.header.length);
    if (read(m.payload.data(), m.payload.size(), timeout)) return std::nullopt;
    return m;
  }

  // The next Frame message, skipping pongs.
  std::optional<WireMessage> read_frame(std::chrono::milliseconds timeout = kTimeout) {
    for (;;) {
      auto m = read_message(timeout);
      if (!m || m->header.type == proto::MessageType::kFrame) return m;
    }
  }

  // Closes our end, as a client that goes away does.
  void close() {
    std::error_code ignored;
    socket_.close(ignored);
  }

  // Reads and discards until the server closes the connection: how it ended (end of stream,
  // connection_reset), or timed_out while it still held the connection open.
  std::error_code wait_end(std::chrono::milliseconds timeout = kTimeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::array<std::uint8_t, 65536> sink{};
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left <= 0ms) return asio::error::timed_out;
      std::error_code ec;
      socket_.async_read_some(asio::buffer(sink),
                              [&ec](std::error_code e, std::size_t) { ec = e; });
      if (!run(left)) return asio::error::timed_out;
      if (ec) return ec;
    }
  }

  // Reads and discards until the server closes the connection. True when it did (end of
  // stream or reset) within the timeout, false when it still held the connection open.
  bool wait_closed(std::chrono::milliseconds timeout = kTimeout) {
    const std::error_code e = wait_end(timeout);
    return e == asio::error::eof || e == asio::error::connection_reset;
  }

 private:
  // Runs the pending operation. On timeout cancels it, lets its handler see the abort and
  // returns false.
  bool run(std::chrono::milliseconds timeout) {
    io_.restart();
    io_.run_for(timeout);
    if (io_.stopped()) return true;
    std::error_code ignored;
    socket_.cancel(ignored);
    io_.restart();
    io_.run();
    return false;
  }

  asio::io_context io_;
  asio::ip::tcp::socket socket_;
  bool connected_ = false;
};

// A Server on 127.0.0.1, port 0, on its own event loop thread, wired to a Hub the way
// camstreamd's main() wires them: the hub's listener posts each frame to the loop.
class ServerHarness {
 public:
  ServerHarness() = default;
  ServerHarness(const ServerHarness&) = delete;
  ServerHarness& operator=(const ServerHarness&) = delete;

  ~ServerHarness() {
    hub_.set_listener({});
    if (thread_.joinable()) {
      asio::post(io_, [this] { server_->stop(); });
      work_.reset();
      thread_.join();
    }
    server_.reset();
  }

  // Listens and starts the loop; false (with a test failure) when it cannot listen.
  bool start(ServerLimits limits = {}) {
    server_ = std::make_unique<Server>(io_, hub_, limits);
    std::string error;
    if (!server_->listen(HostPort{"127.0.0.1", 0}, error)) {
      ADD_FAILURE() << error;
      return false;
    }
    port_ = server_->local_address().port;
    hub_.set_listener([this](const EncodedFramePtr& frame) {
      asio::post(io_, [this, frame] { server_->deliver(frame); });
    });
    server_->start();
    thread_ = std::thread([this] { io_.run(); });
    return port_ != 0;
  }

  Hub& hub() { return hub_; }
  // Only on the loop (on_loop), like everything the server owns.
  Server& server() { return *server_; }
  std::uint16_t port() const { return port_; }

  // Runs `f` on the event loop and returns its result: the server is single-threaded.
  template <typename F>
  auto on_loop(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto result = task.get_future();
    asio::post(io_, [&task] { task(); });
    EXPECT_EQ(result.wait_for(kTimeout), std::future_status::ready);
    return result.get();
  }

  ServerStats stats() {
    return on_loop([this] { return server_->stats(); });
  }

  void stop_server() {
    on_loop([this] {
      server_->stop();
      return 0;
    });
  }

  // Polls the server's statistics until `pred` holds or the timeout passes.
  template <typename Pred>
  bool stats_eventually(Pred pred) {
    return eventually([&] { return pred(stats()); });
  }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_ = asio::make_work_guard(io_);
  Hub hub_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
  std::uint16_t port_ = 0;
};

}  // namespace camstream::testing
