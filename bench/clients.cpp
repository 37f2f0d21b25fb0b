// clients.cpp - camstream_bench_clients: N native-protocol viewers in one process, for fan-out.
//
// Each client does the handshake and then reads and parses the stream without decoding, so
// the machine's CPU goes to the daemon under test. With --mode http it asks for /stream
// instead, and with --mode mjpeg it only reads (a GStreamer or ffmpeg server that starts
// sending at once); both count JPEG start markers, which cannot occur inside a JPEG's
// entropy-coded data, and have no capture time to measure latency from. Some clients can read
// slowly (a token bucket in kbit/s with a small receive buffer), as a viewer on a poor link does.
// After a warm-up it counts frames for a fixed time and prints one JSON object: per-client fps and
// capture -> received latency (the daemon runs on the same host, so both use one clock).
#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include <asio.hpp>

#include "shared/clock.hpp"
#include "shared/protocol.hpp"

namespace {

using namespace camstream;

enum class Mode { kNative, kHttp, kMjpeg };

struct Options {
  Mode mode = Mode::kNative;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  int clients = 1;
  int slow = 0;             // how many of the clients read slowly
  double slow_kbit = 1000;  // their reading rate
  double warmup = 2;
  double seconds = 10;
  std::string latency_file;  // every fast client's capture -> received latency, ms, one a line
};

struct Window {
  std::uint64_t start_us = 0;
  std::uint64_t end_us = 0;
  bool inside(std::uint64_t t) const { return t >= start_us && t < end_us; }
};

std::uint64_t get64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | p[i];
  return v;
}

class Client : public std::enable_shared_from_this<Client> {
 public:
  Client(asio::io_context& io, const Window& window, Mode mode, bool slow, double slow_kbit)
      : socket_(io),
        timer_(io),
        window_(window),
        mode_(mode),
        slow_(slow),
        slow_kbit_(slow_kbit),
        buffer_(slow ? 4096 : 256 * 1024) {}

  void start(const asio::ip::tcp::endpoint& ep) {
    socket_.open(ep.protocol());
    if (slow_) {
      // A small window, so the daemon's writes back up as they do over a slow link.
      socket_.set_option(asio::socket_base::receive_buffer_size(16 * 1024));
    }
    auto self = shared_from_this();
    socket_.async_connect(ep, [self](std::error_code ec) {
      if (ec) return self->fail("connect: " + ec.message());
      if (self->mode_ == Mode::kMjpeg) return self->read();
      const auto hello = proto::encode(proto::ClientHello{});
      self->request_ = self->mode_ == Mode::kNative
                           ? std::string(hello.begin(), hello.end())
                           : std::string("GET /stream HTTP/1.1\r\nHost: bench\r\n\r\n");
      asio::async_write(self->socket_, asio::buffer(self->request_),
                        [self](std::error_code e, std::size_t) {
                          if (e) return self->fail("hello: " + e.message());
                          self->read();
                        });
    });
  }

  bool slow() const { return slow_; }
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  std::uint64_t frames() const { return frames_; }
  std::uint64_t bytes() const { return bytes_; }
  std::vector<std::int64_t>& latencies() { return latencies_; }
  void stop() {
    stopped_ = true;
    std::error_code ignored;
    timer_.cancel();
    socket_.close(ignored);
  }

 private:
  void fail(const std::string& what) {
    if (error_.empty() && !stopped_) error_ = what;
  }

  void read() {
    auto self = shared_from_this();
    socket_.async_read_some(asio::buffer(buffer_), [self](std::error_code ec, std::size_t n) {
      if (ec) return self->fail(ec == asio::error::eof ? "closed by the daemon" : ec.message());
      if (self->mode_ != Mode::kNative) {
        self->count_markers(self->buffer_.data(), n);
      } else if (!self->parse(self->buffer_.data(), n)) {
        return;
      }
      if (!self->slow_) return self->read();
      // Token bucket: the bytes just read cost this long at the slow rate.
      const auto pause = std::chrono::microseconds(
          static_cast<long>(static_cast<double>(n) * 8.0 / self->slow_kbit_ * 1000.0));
      self->timer_.expires_after(pause);
      self->timer_.async_wait([self](std::error_code e) {
        if (!e) self->read();
      });
    });
  }

  // FF D8 FF: a JPEG's start, found even when it straddles two reads.
  void count_markers(const std::uint8_t* p, std::size_t n) {
    const bool counting = window_.inside(monotonic_us());
    for (std::size_t i = 0; i < n; ++i) {
      tail_ = ((tail_ << 8) | p[i]) & 0xFFFFFF;
      if (tail_ == 0xFFD8FF && counting) ++frames_;
    }
    if (counting) bytes_ += n;
  }

  // Walks the bytes through hello, message header and payload; false on a protocol error.
  bool parse(const std::uint8_t* p, std::size_t n) {
    const std::uint64_t now = monotonic_us();
    while (n > 0) {
      const std::size_t take = std::min(n, need_ - have_);
      if (state_ != State::kPayloadRest) std::copy_n(p, take, small_.data() + have_);
      have_ += take;
      p += take;
      n -= take;
      if (have_ < need_) break;
      have_ = 0;
      switch (state_) {
        case State::kHello: {
          proto::ServerHello h;
          if (proto::decode(std::span(small_.data(), proto::kServerHelloSize), h) !=
                  proto::Error::kNone ||
              h.status != proto::HelloStatus::kOk) {
            fail("bad server hello");
            return false;
          }
          state_ = State::kHeader;
          need_ = proto::kMessageHeaderSize;
          break;
        }
        case State::kHeader: {
          proto::MessageHeader m;
          if (proto::decode(std::span(small_.data(), proto::kMessageHeaderSize), m,
                            proto::kMaxFramePayload) != proto::Error::kNone) {
            fail("bad message header");
            return false;
          }
          frame_ = m.type == proto::MessageType::kFrame;
          remaining_ = m.length;
          if (frame_ && remaining_ < proto::kFrameHeaderSize) {
            fail("short frame");
            return false;
          }
          state_ = frame_ ? State::kFrameHeader : State::kPayloadRest;
          need_ = frame_ ? proto::kFrameHeaderSize : remaining_;
          if (need_ == 0) finish_message(now);
          break;
        }
        case State::kFrameHeader: {
          capture_us_ = get64(small_.data() + 8);
          remaining_ -= proto::kFrameHeaderSize;
          state_ = State::kPayloadRest;
          need_ = remaining_;
          if (need_ == 0) finish_message(now);
          break;
        }
        case State::kPayloadRest:
          finish_message(now);
          break;
      }
    }
    return true;
  }

  void finish_message(std::uint64_t now) {
    if (frame_ && window_.inside(now)) {
      ++frames_;
      bytes_ += remaining_;
      latencies_.push_back(static_cast<std::int64_t>(now) - static_cast<std::int64_t>(capture_us_));
    }
    state_ = State::kHeader;
    need_ = proto::kMessageHeaderSize;
  }

  enum class State { kHello, kHeader, kFrameHeader, kPayloadRest };

  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  const Window& window_;
  Mode mode_;
  bool slow_;
  double slow_kbit_;
  std::vector<std::uint8_t> buffer_;
  std::string request_;
  std::uint32_t tail_ = 0;
  std::array<std::uint8_t, 64> small_{};  // hello, message header or frame header
  State state_ = State::kHello;
  std::size_t need_ = proto::kServerHelloSize;
  std::size_t have_ = 0;
  std::uint32_t remaining_ = 0;
  bool frame_ = false;
  std::uint64_t capture_us_ = 0;
  std::uint64_t frames_ = 0;
  std::uint64_t bytes_ = 0;
  std::vector<std::int64_t> latencies_;
  std::string error_;
  bool stopped_ = false;
};

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5)];
}

void print_group(const char* name, std::vector<std::shared_ptr<Client>>& clients, bool slow,
                 double seconds, bool& first) {
  std::vector<double> fps, lat;
  double kbit = 0;
  int failed = 0;
  for (auto& c : clients) {
    if (c->slow() != slow) continue;
    if (c->failed()) ++failed;
    fps.push_back(static_cast<double>(c->frames()) / seconds);
    kbit += static_cast<double>(c->bytes()) * 8 / 1000 / seconds;
    for (const auto l : c->latencies())
      lat.push_back(static_cast<double>(l) / 1000.0);
  }
  if (fps.empty()) return;
  std::printf(
      "%s\"%s\": {\"clients\": %zu, \"failed\": %d, \"fps_min\": %.2f, \"fps_median\": %.2f, "
      "\"fps_max\": %.2f, \"fps_mean\": %.3f, \"kbit_per_s_each\": %.0f, "
      "\"latency_p50_ms\": %.3f, \"latency_p99_ms\": %.3f}",
      first ? "" : ", ", name, fps.size(), failed, quantile(fps, 0), quantile(fps, 0.5),
      quantile(fps, 1),
      [&] {
        double s = 0;
        for (double f : fps)
          s += f;
        return s / static_cast<double>(fps.size());
      }(),
      kbit / static_cast<double>(fps.size()), quantile(lat, 0.5), quantile(lat, 0.99));
  first = false;
}

int usage() {
  std::fprintf(stderr,
               "usage: camstream_bench_clients --port PORT [--mode native|http|mjpeg] [--host IP] "
               "[--clients N] [--slow M] [--slow-kbit K] [--warmup S] [--seconds S] "
               "[--latency-file PATH]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) return usage();
    const char* v = argv[++i];
    if (a == "--mode") {
      const std::string m = v;
      if (m == "native")
        o.mode = Mode::kNative;
      else if (m == "http")
        o.mode = Mode::kHttp;
      else if (m == "mjpeg")
        o.mode = Mode::kMjpeg;
      else
        return usage();
    } else if (a == "--latency-file")
      o.latency_file = v;
    else if (a == "--host")
      o.host = v;
    else if (a == "--port")
      o.port = static_cast<std::uint16_t>(std::atoi(v));
    else if (a == "--clients")
      o.clients = std::atoi(v);
    else if (a == "--slow")
      o.slow = std::atoi(v);
    else if (a == "--slow-kbit")
      o.slow_kbit = std::atof(v);
    else if (a == "--warmup")
      o.warmup = std::atof(v);
    else if (a == "--seconds")
      o.seconds = std::atof(v);
    else
      return usage();
  }
  if (o.port == 0 || o.clients < 1 || o.clients > 1000 || o.slow < 0 || o.slow > o.clients ||
      o.slow_kbit <= 0 || o.seconds <= 0)
    return usage();

  asio::io_context io(1);
  const asio::ip::tcp::endpoint ep(asio::ip::make_address(o.host), o.port);
  const std::uint64_t t0 = monotonic_us();
  Window window{t0 + static_cast<std::uint64_t>(o.warmup * 1e6),
                t0 + static_cast<std::uint64_t>((o.warmup + o.seconds) * 1e6)};
  std::vector<std::shared_ptr<Client>> clients;
  for (int i = 0; i < o.clients; ++i) {
    clients.push_back(
        std::make_shared<Client>(io, window, o.mode, i >= o.clients - o.slow, o.slow_kbit));
    clients.back()->start(ep);
  }
  asio::steady_timer end(io);
  end.expires_after(std::chrono::microseconds(window.end_us - t0));
  end.async_wait([&](std::error_code) {
    for (auto& c : clients)
      c->stop();
  });
  io.run();

  bool first = true;
  std::printf("{");
  print_group("fast", clients, false, o.seconds, first);
  print_group("slow", clients, true, o.seconds, first);
  std::printf(", \"per_client_fps\": [");
  for (std::size_t i = 0; i < clients.size(); ++i)
    std::printf("%s%.2f", i ? ", " : "", static_cast<double>(clients[i]->frames()) / o.seconds);
  std::printf("]}\n");
  if (!o.latency_file.empty()) {
    if (std::FILE* f = std::fopen(o.latency_file.c_str(), "w")) {
      for (auto& c : clients) {
        if (c->slow()) continue;
        for (const auto l : c->latencies())
          std::fprintf(f, "%.3f\n", static_cast<double>(l) / 1000.0);
      }
      std::fclose(f);
    }
  }
  int failed = 0;
  for (auto& c : clients) {
    if (c->failed()) {
      ++failed;
      std::fprintf(stderr, "camstream_bench_clients: a client failed: %s\n", c->error().c_str());
    }
  }
  return failed ? 1 : 0;
}
