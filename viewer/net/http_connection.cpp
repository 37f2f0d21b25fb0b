// http_connection.cpp - connect, send one GET, feed the response to the MJPEG reader.
#include "viewer/net/http_connection.hpp"

#include "shared/clock.hpp"
#include "shared/crypto.hpp"
#include "shared/version.hpp"

namespace camstream {

HttpViewerConnection::HttpViewerConnection(HttpUrl url, FrameMailbox& mailbox,
                                           std::function<void()> notify, ConnectionLimits limits,
                                           std::string token, std::shared_ptr<TlsClient> tls)
    : StreamLink(url.server, to_string(url), "the server", mailbox, std::move(notify), limits,
                 std::move(tls)),
      url_(std::move(url)),
      token_(std::move(token)),
      reader_([this](MjpegPart&& part) { on_part(std::move(part)); }) {}

HttpViewerConnection::~HttpViewerConnection() {
  stop();
}

void HttpViewerConnection::on_connected() {
  // Host carries the port only when it is not the default, as browsers send it.
  const HostPort& s = url_.server;
  std::string host = s.host.find(':') != std::string::npos ? "[" + s.host + "]" : s.host;
  if (s.port != 80) host.append(":").append(std::to_string(s.port));
  request_ = "GET " + url_.target + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: camview/" +
             std::string(kVersion) +
             "\r\nAccept: multipart/x-mixed-replace, image/jpeg, "
             "*/*;q=0.1\r\nConnection: close\r\n";
  if (!token_.empty()) {
    request_.append("Authorization: Bearer ").append(token_).append("\r\n");
  } else if (!url_.basic.empty()) {
    request_.append("Authorization: Basic ").append(crypto::base64(crypto::bytes(url_.basic)));
    request_.append("\r\n");
  }
  request_.append("\r\n");
  asio::async_write(stream_, asio::buffer(request_), [this](std::error_code e, std::size_t) {
    if (e && !done()) fail("lost " + name() + " while sending the request: " + e.message());
  });
  touch();
  read();
}

void HttpViewerConnection::read() {
  stream_.async_read_some(asio::buffer(in_), [this](std::error_code e, std::size_t n) {
    if (done()) return;
    if (e == asio::error::eof) {
      if (!reader_.finish()) return failed();
      return fail("stream ended: " + name() + " closed the connection");
    }
    if (e) return fail("lost " + name() + ": " + e.message());
    bytes_received_ += n;
    touch();
    if (!reader_.feed(std::span<const std::uint8_t>(in_.data(), n))) return failed();
    if (done()) return;
    read();
  });
}

void HttpViewerConnection::failed() {
  const std::string& status = reader_.status();
  if (status.starts_with("401") || status.starts_with("403")) {
    return fail_for_good(name() + " refused the credentials (" + status +
                         "); give a token with --token TOKEN, --token-file FILE or "
                         "CAMSTREAM_TOKEN, or USER:PASSWORD@ in the URL");
  }
  // A server that answered, but not with a stream (a wrong path, a page, a redirect), answers
  // the same on every try; a 5xx or a stream that broke off may mend.
  if (!status.empty() && !status.starts_with("5") && parts_ == 0) {
    return fail_for_good(name() + ": " + reader_.error());
  }
  fail(name() + ": " + reader_.error());
}

void HttpViewerConnection::on_part(MjpegPart&& part) {
  if (done()) return;
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
  deliver(std::move(frame));
}

}  // namespace camstream
