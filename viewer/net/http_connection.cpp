// http_connection.cpp - connect, send one GET, feed the response to the MJPEG reader.
#include "viewer/net/http_connection.hpp"

#include "shared/clock.hpp"

namespace camstream {

HttpViewerConnection::HttpViewerConnection(HttpUrl url, FrameMailbox& mailbox,
                                           std::function<void()> notify, ConnectionLimits limits)
    : url_(std::move(url)),
      mailbox_(mailbox),
      notify_(std::move(notify)),
      limits_(limits),
      name_(to_string(url_)),
      resolver_(io_),
      socket_(io_),
      deadline_(io_),
      reader_([this](MjpegPart&& part) { on_part(std::move(part)); }) {}

HttpViewerConnection::~HttpViewerConnection() {
  stop();
}

void HttpViewerConnection::start() {
  thread_ = std::thread([this] { run(); });
}

void HttpViewerConnection::stop() {
  if (!thread_.joinable()) return;
  asio::post(io_, [this] {
    done_ = true;
    asio::error_code ec;
    resolver_.cancel();
    socket_.close(ec);
    deadline_.cancel();
  });
  thread_.join();
}

bool HttpViewerConnection::clock_offset(std::int64_t&) const {
  return false;
}

void HttpViewerConnection::fail(const std::string& message) {
  if (done_) return;
  done_ = true;
  asio::error_code ec;
  socket_.close(ec);
  deadline_.cancel();
  mailbox_.close(message, true);
  notify_();
}

void HttpViewerConnection::run() {
  deadline_.expires_after(limits_.connect_timeout);
  std::function<void(std::error_code)> on_deadline = [this, &on_deadline](std::error_code ec) {
    if (ec == asio::error::operation_aborted || done_) {
      if (!done_) deadline_.async_wait(on_deadline);  // re-armed, not expired
      return;
    }
    if (deadline_.expiry() > asio::steady_timer::clock_type::now()) {
      deadline_.async_wait(on_deadline);
      return;
    }
    fail(streaming_
             ? "no data from " + name_ + " for " +
                   std::to_string(limits_.idle_timeout.count() / 1000) + " s; the stream looks dead"
             : "cannot connect to " + name_ + ": no answer within " +
                   std::to_string(limits_.connect_timeout.count() / 1000) + " s");
  };
  deadline_.async_wait(on_deadline);

  const HostPort& server = url_.server;
  resolver_.async_resolve(
      server.host, std::to_string(server.port),
      [this](std::error_code ec, const asio::ip::tcp::resolver::results_type& results) {
        if (done_) return;
        if (ec) return fail("cannot resolve host '" + url_.server.host + "': " + ec.message());
        asio::async_connect(
            socket_, results, [this](std::error_code e, const asio::ip::tcp::endpoint&) {
              if (done_) return;
              if (e == asio::error::connection_refused) {
                return fail("cannot connect to " + name_ +
                            ": connection refused; is the server running there, on this port?");
              }
              if (e) return fail("cannot connect to " + name_ + ": " + e.message());
              on_connected();
            });
      });
  io_.run();
}

void HttpViewerConnection::on_connected() {
  asio::error_code ec;
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  // Host carries the port only when it is not the default, as browsers send it.
  const HostPort& s = url_.server;
  std::string host = s.host.find(':') != std::string::npos ? "[" + s.host + "]" : s.host;
  if (s.port != 80) host += ":" + std::to_string(s.port);
  request_ = "GET " + url_.target + " HTTP/1.1\r\nHost: " + host +
             "\r\nUser-Agent: camview/0.1\r\nAccept: multipart/x-mixed-replace, image/jpeg, "
             "*/*;q=0.1\r\nConnection: close\r\n\r\n";
  asio::async_write(socket_, asio::buffer(request_), [this](std::error_code e, std::size_t) {
    if (e && !done_) fail("lost " + name_ + " while sending the request: " + e.message());
  });
  streaming_ = true;
  deadline_.expires_after(limits_.idle_timeout);
  read();
}

void HttpViewerConnection::read() {
  socket_.async_read_some(asio::buffer(in_), [this](std::error_code e, std::size_t n) {
    if (done_) return;
    if (e == asio::error::eof) {
      if (!reader_.finish()) return fail(name_ + ": " + reader_.error());
      return fail("stream ended: " + name_ + " closed the connection");
    }
    if (e) return fail("lost " + name_ + ": " + e.message());
    bytes_received_ += n;
    deadline_.expires_after(limits_.idle_timeout);
    if (!reader_.feed(std::span<const std::uint8_t>(in_.data(), n))) {
      return fail(name_ + ": " + reader_.error());
    }
    if (done_) return;
    read();
  });
}

void HttpViewerConnection::on_part(MjpegPart&& part) {
  if (done_) return;
  ++parts_;
  ReceivedFrame frame;
  // Without the server's own numbering, parts are numbered as they arrive.
  std::uint64_t seq = part.sequence.value_or(parts_);
  if (part.sequence) {
    if (have_seq_ && seq > last_seq_) frames_lost_ += seq - last_seq_ - 1;
    have_seq_ = true;
    last_seq_ = seq;
  }
  frame.header.seq = seq;
  frame.header.jpeg_size = static_cast<std::uint32_t>(part.jpeg.size());
  frame.payload = std::move(part.jpeg);
  frame.jpeg_offset = 0;
  frame.received_us = monotonic_us();
  ++frames_received_;
  mailbox_.put(std::move(frame));
  notify_();
}

}  // namespace camstream
