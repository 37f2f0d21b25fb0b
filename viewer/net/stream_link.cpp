// stream_link.cpp - connecting, deadlines and the end of a stream, for both protocols.
#include "viewer/net/stream_link.hpp"

#include "shared/log.hpp"

namespace camstream {

StreamLink::StreamLink(HostPort server, std::string name, std::string peer_kind,
                       FrameMailbox& mailbox, std::function<void()> notify, ConnectionLimits limits,
                       std::shared_ptr<TlsClient> tls)
    : stream_(io_),
      server_(std::move(server)),
      name_(std::move(name)),
      peer_kind_(std::move(peer_kind)),
      mailbox_(mailbox),
      notify_(std::move(notify)),
      limits_(limits),
      tls_(std::move(tls)),
      resolver_(io_),
      deadline_(io_) {}

StreamLink::~StreamLink() {
  stop();
}

void StreamLink::start() {
  thread_ = std::thread([this] { run(); });
}

void StreamLink::stop() {
  if (!thread_.joinable()) return;
  asio::post(io_, [this] {
    done_ = true;
    asio::error_code ec;
    resolver_.cancel();
    stream_.socket().close(ec);
    deadline_.cancel();
    on_closing();
  });
  thread_.join();
}

bool StreamLink::clock_offset(std::int64_t&) const {
  return false;
}

void StreamLink::fail(const std::string& message) {
  end(message, false);
}

void StreamLink::fail_for_good(const std::string& message) {
  end(message, true);
}

void StreamLink::end(const std::string& message, bool permanent) {
  if (done_) return;
  done_ = true;
  asio::error_code ec;
  stream_.socket().close(ec);
  deadline_.cancel();
  on_closing();
  mailbox_.close(message, true, permanent);
  notify_();
}

void StreamLink::touch() {
  streaming_ = true;
  deadline_.expires_after(limits_.idle_timeout);
}

std::function<std::size_t(const std::error_code&, std::size_t)> StreamLink::progress() {
  return [this, seen = std::size_t{0}](const std::error_code& ec, std::size_t n) mutable {
    if (ec) return std::size_t{0};
    if (n > seen) {
      seen = n;
      touch();
    }
    return std::size_t{65536};
  };
}

void StreamLink::deliver(ReceivedFrame&& frame) {
  ++frames_received_;
  mailbox_.put(std::move(frame));
  notify_();
}

void StreamLink::wait_deadline() {
  deadline_.async_wait([this](std::error_code ec) {
    if (done_) return;
    // Cancelled because it was re-armed, or re-armed after it fired: wait again.
    if (ec == asio::error::operation_aborted ||
        deadline_.expiry() > asio::steady_timer::clock_type::now()) {
      return wait_deadline();
    }
    fail(streaming_ ? "no data from " + name_ + " for " +
                          std::to_string(limits_.idle_timeout.count() / 1000) +
                          " s; the connection looks dead"
                    : "cannot connect to " + name_ + ": no answer within " +
                          std::to_string(limits_.connect_timeout.count() / 1000) + " s");
  });
}

void StreamLink::start_tls() {
  stream_.start_tls(tls_->context());
  tls_->prepare(*stream_.tls(), server_);
  // Under the connect deadline still: a server that never finishes the handshake is one that
  // did not answer.
  stream_.tls()->async_handshake(asio::ssl::stream_base::client, [this](std::error_code e) {
    if (done_) return;
    if (e) {
      bool permanent = false;
      const std::string why = tls_->handshake_failure(e, server_, permanent);
      return permanent ? fail_for_good(why) : fail(why);
    }
    std::string note;
    const std::string refusal = tls_->check(*stream_.tls(), server_, note);
    if (!refusal.empty()) return fail_for_good(refusal);
    if (!note.empty()) log::warn(note);
    on_connected();
  });
}

void StreamLink::run() {
  deadline_.expires_after(limits_.connect_timeout);
  wait_deadline();
  resolver_.async_resolve(
      server_.host, std::to_string(server_.port),
      [this](std::error_code ec, const asio::ip::tcp::resolver::results_type& results) {
        if (done_) return;
        if (ec) return fail("cannot resolve host '" + server_.host + "': " + ec.message());
        asio::async_connect(
            stream_.socket(), results, [this](std::error_code e, const asio::ip::tcp::endpoint&) {
              if (done_) return;
              if (e == asio::error::connection_refused) {
                return fail("cannot connect to " + name_ + ": connection refused; is " +
                            peer_kind_ + " running there, on this port?");
              }
              if (e) return fail("cannot connect to " + name_ + ": " + e.message());
              asio::error_code ignored;
              stream_.socket().set_option(asio::ip::tcp::no_delay(true), ignored);
              if (tls_) return start_tls();
              on_connected();
            });
      });
  io_.run();
}

}  // namespace camstream
