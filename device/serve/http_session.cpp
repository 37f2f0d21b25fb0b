// http_session.cpp - routing, responses, snapshot and stream writes, and every timeout of a
// session.
#include "device/serve/http_session.hpp"

#include <cstdio>
#include <ctime>

#include "device/control/control_query.hpp"
#include "device/control/controls.hpp"
#include "device/serve/http_pages.hpp"
#include "shared/clock.hpp"
#include "shared/log.hpp"

namespace camstream {
namespace {

constexpr std::string_view kBoundary = "camstreamframe";
constexpr std::string_view kCrlf = "\r\n";
// A POST /controls body: a JSON object of at most kMaxControlsPerRequest values is far below.
constexpr std::size_t kMaxControlBody = 16 * 1024;

const char* status_text(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Error";
  }
}

std::string http_date() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return buf;
}

// The capture time on the wall clock, Unix seconds with microseconds (as ustreamer sends it):
// an HTTP client has no way to learn the device's monotonic clock, but NTP gives both ends
// the same wall clock.
std::string wall_timestamp(std::uint64_t capture_us) {
  timespec rt{};
  clock_gettime(CLOCK_REALTIME, &rt);
  const std::uint64_t now_wall = static_cast<std::uint64_t>(rt.tv_sec) * 1000000u +
                                 static_cast<std::uint64_t>(rt.tv_nsec) / 1000u;
  const std::uint64_t now_mono = monotonic_us();
  const std::uint64_t age = now_mono > capture_us ? now_mono - capture_us : 0;
  const std::uint64_t t = now_wall > age ? now_wall - age : 0;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%llu.%06llu", static_cast<unsigned long long>(t / 1000000u),
                static_cast<unsigned long long>(t % 1000000u));
  return buf;
}

// Status line and the fields every response carries. `length` < 0: no Content-Length (the
// stream, whose end is the connection's end).
std::string response_head(int status, std::string_view type, long long length, bool keep_alive,
                          std::string_view extra) {
  std::string h = "HTTP/1.1 " + std::to_string(status) + " " + status_text(status) +
                  "\r\nServer: camstreamd\r\nDate: " + http_date() +
                  "\r\nCache-Control: no-store\r\nContent-Type: " + std::string(type) + "\r\n";
  if (length >= 0) h += "Content-Length: " + std::to_string(length) + "\r\n";
  h += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  h += extra;
  h += "\r\n";
  return h;
}

std::string frame_fields(const EncodedFrame& f) {
  return "X-Timestamp: " + wall_timestamp(f.header.capture_us) +
         "\r\nX-Sequence: " + std::to_string(f.header.seq) + "\r\n";
}

}  // namespace

HttpSession::HttpSession(ByteStream stream, SessionHost& host, Peer peer)
    : stream_(std::move(stream)),
      host_(host),
      peer_(std::move(peer)),
      deadline_(stream_.get_executor()),
      stall_(stream_.get_executor(), host.limits().write_timeout),
      connected_us_(monotonic_us()) {}

void HttpSession::start(std::string_view first_bytes, Deadline::Clock::time_point deadline) {
  stall_.on_stall([self = shared_from_this()] { self->on_stall(); });
  in_.assign(first_bytes);
  state_ = State::kReading;
  arm_at(deadline, &HttpSession::on_request_timeout);
  on_bytes();
}

void HttpSession::close(const std::string&) {
  if (state_ == State::kEnded) return;
  state_ = State::kEnded;
  deadline_.disarm();
  stall_.cancel();
  cancel_request();
  watch_.reset();
  slot_.clear();
  asio::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
}

void HttpSession::end(const std::string& reason, bool refused) {
  if (state_ == State::kEnded) return;
  close(reason);
  if (streamed_) {
    host_.log_client(log::Level::kInfo, peer_,
                     "HTTP client " + peer_.name + " left (" + reason +
                         "): " + std::to_string(slot_.sent()) + " frames sent, " +
                         std::to_string(slot_.skipped()) + " skipped");
  } else if (refused) {
    host_.log_client(log::Level::kInfo, peer_, "HTTP client " + peer_.name + " refused: " + reason);
  } else {
    log::debug("HTTP client " + peer_.name + " closed: " + reason);
  }
  host_.ended(*this, refused);
}

std::optional<ClientFigures> HttpSession::client_figures(std::uint64_t now_us) const {
  if (state_ != State::kStreaming) return std::nullopt;
  return slot_.figures(peer_.name, stream_.encrypted() ? "https" : "http", connected_us_, now_us);
}

void HttpSession::cancel_request() {
  if (frame_request_ == 0) return;
  host_.cancel_frame_request(frame_request_);
  frame_request_ = 0;
}

void HttpSession::arm(std::chrono::milliseconds after, void (HttpSession::*on_expiry)()) {
  arm_at(Deadline::Clock::now() + after, on_expiry);
}

void HttpSession::arm_at(Deadline::Clock::time_point when, void (HttpSession::*on_expiry)()) {
  deadline_.arm_at(when, [self = shared_from_this(), on_expiry] {
    if (self->state_ != State::kEnded) (self.get()->*on_expiry)();
  });
}

void HttpSession::read_more() {
  stream_.async_read_some(
      asio::buffer(chunk_), [this, self = shared_from_this()](std::error_code e, std::size_t n) {
        if (state_ != State::kReading) return;
        if (e) {
          const bool idle = in_.find_first_not_of("\r\n") == std::string::npos;
          return end(idle ? "closed the connection" : "left in the middle of a request", false);
        }
        in_.append(chunk_.data(), n);
        on_bytes();
      });
}

void HttpSession::on_bytes() {
  http::Request request;
  const http::ParseResult r = http::parse_request(in_, request);
  switch (r.state) {
    case http::ParseResult::State::kIncomplete:
      return read_more();
    case http::ParseResult::State::kError:
      head_only_ = false;
      return send_error(r.status, "the request has " + r.reason);
    case http::ParseResult::State::kComplete:
      in_.erase(0, r.head_size);
      return handle(request);
  }
}

void HttpSession::handle(const http::Request& request) {
  ++requests_;
  deadline_.disarm();
  head_only_ = request.method == "HEAD";
  keep_alive_ = request.keep_alive();

  Route route = Route::kNotFound;
  if (request.path == "/") {
    const auto action = request.query_value("action");
    if (!action) {
      route = Route::kIndex;
    } else if (*action == "stream") {
      route = Route::kStream;
    } else if (*action == "snapshot") {
      route = Route::kSnapshot;
    } else if (*action == "command") {
      route = Route::kSetControl;  // mjpg-streamer's
    }
  } else if (request.path == "/stream") {
    route = Route::kStream;
  } else if (request.path == "/snapshot") {
    route = Route::kSnapshot;
  } else if (request.path == "/status") {
    route = Route::kStatus;
  } else if (request.path == "/metrics") {
    route = Route::kMetrics;
  } else if (request.path == "/controls") {
    route = Route::kControls;
  } else if (request.path == "/control" || request.path == "/option") {
    route = Route::kSetControl;  // /option: camera-streamer's
  }
  log::debug("HTTP client " + peer_.name + ": " + request.method + " " + request.target);
  if (!host_.admit(*this)) {
    send_error(503,
               "already " + std::to_string(host_.limits().max_clients) +
                   " clients, the limit; try again later",
               "Retry-After: 5\r\n");
    end_refused_ = true;  // counted as refused, unlike a 503 for want of a frame
    return;
  }

  if (route == Route::kNotFound) {
    return send_error(404, "no such page: " + request.path +
                               "; try /stream, /snapshot, /controls, /status, /metrics or /");
  }
  const bool post = request.method == "POST";
  if (post && route != Route::kControls) {
    return send_error(405, "POST is taken only by /controls; use GET or HEAD here");
  }
  if (!post && request.method != "GET" && request.method != "HEAD") {
    return send_error(405,
                      request.method + " is not served here; use GET or HEAD" +
                          (route == Route::kControls ? " (or POST)" : ""),
                      route == Route::kControls ? "Allow: GET, HEAD, POST\r\n" : "");
  }
  if (post) {
    if (request.chunked) {
      return send_error(411, "send the body with a Content-Length, not chunked");
    }
    if (request.content_length > kMaxControlBody) {
      return send_error(413, "the body has " + std::to_string(request.content_length) +
                                 " bytes; at most " + std::to_string(kMaxControlBody) +
                                 " are taken");
    }
  } else if (request.has_body) {
    return send_error(400, "the request has a body; GET and HEAD take none");
  }
  // Every page shows the camera or its figures: each needs the view role at least.
  bool presented = false;
  const std::optional<std::string_view> query_token = request.query_value("token");
  const Role role =
      host_.access().http(request.field("authorization").value_or(""), query_token, presented);
  if (role == Role::kNone) {
    if (presented) host_.auth_failed(peer_);
    return send_unauthorized();
  }
  switch (route) {
    case Route::kIndex:
      return send_text(
          200, "text/html; charset=utf-8",
          index_html(host_.figures(),
                     query_token ? "token=" + std::string(*query_token) : std::string()),
          head_only_, keep_alive_);
    case Route::kStatus:
      return send_text(200, "application/json",
                       status_json(host_.figures(), role == Role::kControl), head_only_,
                       keep_alive_);
    case Route::kMetrics:
      return send_text(200, "text/plain; version=0.0.4; charset=utf-8",
                       metrics_text(host_.figures()), head_only_, keep_alive_);
    case Route::kSnapshot:
      return snapshot(request);
    case Route::kStream:
      return start_stream();
    case Route::kControls:
    case Route::kSetControl:
      if (post) {
        // The body follows the head, within the same time a head has.
        body_request_ = request;
        body_role_ = role;
        state_ = State::kReadingBody;
        arm(host_.limits().handshake_timeout, &HttpSession::on_request_timeout);
        return read_body();
      }
      return controls(request, role, route, {});
    case Route::kNotFound:
      break;
  }
}

void HttpSession::read_body() {
  if (in_.size() >= body_request_.content_length) {
    const std::string body = in_.substr(0, body_request_.content_length);
    in_.erase(0, body_request_.content_length);
    deadline_.disarm();
    return controls(body_request_, body_role_, Route::kControls, body);
  }
  stream_.async_read_some(asio::buffer(chunk_),
                          [this, self = shared_from_this()](std::error_code e, std::size_t n) {
                            if (state_ != State::kReadingBody) return;
                            if (e) return end("left in the middle of a request body", false);
                            in_.append(chunk_.data(), n);
                            read_body();
                          });
}

void HttpSession::controls(const http::Request& request, Role role, Route route,
                           const std::string& body) {
  state_ = State::kWriting;
  Controls* model = host_.controls();
  if (model == nullptr) return send_error(404, "this daemon has no controls");
  if (route == Route::kSetControl && head_only_) {
    return send_error(405, "HEAD changes nothing; set controls with GET (or POST /controls)");
  }
  if (route == Route::kControls && request.method != "POST") {
    return send_text(200, "application/json", json_text(model->list()) + "\n", head_only_,
                     keep_alive_);
  }
  const bool persist = request.query_value("persist") == "1";
  ControlOutcome outcome;
  if (route == Route::kControls) {
    nlohmann::json values;
    try {
      values = nlohmann::json::parse(body);
    } catch (const nlohmann::json::exception& e) {
      return send_error(400, std::string("the body is not JSON (") + e.what() +
                                 "); send an object such as {\"quality\": 70}");
    }
    outcome = model->apply(values, role, persist);
  } else {
    std::vector<std::string> names;
    const nlohmann::json listing = model->list();
    for (const auto& entry : listing["controls"])
      names.push_back(entry["name"].get<std::string>());
    std::vector<std::pair<std::string, std::string>> pairs;
    std::string error;
    if (!controls_from_query(request.path, request.query, names, pairs, error)) {
      return send_error(400, error);
    }
    outcome = model->apply_text(pairs, role, persist);
  }
  // Every refusal for want of the role and nothing applied: 403; any other refusal: 400; a
  // failed save of what was applied: 500. The body says which control fared how either way.
  int status = 200;
  if (!outcome.refused.empty())
    status = outcome.role_refused && outcome.applied.empty() ? 403 : 400;
  if (status == 200 && !outcome.save_error.empty()) status = 500;
  if (status != 200) {
    host_.log_client(
        log::Level::kInfo, peer_,
        "HTTP client " + peer_.name + ": controls refused: " + json_text(outcome.to_json()));
  }
  send_text(status, "application/json", json_text(outcome.to_json()) + "\n", head_only_,
            keep_alive_);
}

void HttpSession::snapshot(const http::Request& request) {
  const auto size = request.query_value("size");
  const bool fresh = request.query_value("fresh") == "1";
  if (size && *size != "full" && *size != "stream") {
    return send_error(400, "size takes full (the camera's full size) or stream (the stream's)");
  }
  const std::uint64_t token = ++snapshot_token_;
  auto done = [this, token, self = shared_from_this()](const EncodedFramePtr& frame) {
    on_requested_frame(token, frame);
  };
  if (size == "full") {
    // A still is always captured after the request, so it is always fresh.
    std::string error;
    state_ = State::kAwaitingStill;
    frame_request_ = host_.request_still(std::move(done), error);
    if (frame_request_ == 0) return send_error(501, error);
    // A brief switch of the camera may take a second or two: more than a frame's time.
    arm(std::max(host_.limits().handshake_timeout, std::chrono::milliseconds(10000)),
        &HttpSession::on_frame_timeout);
    return;
  }
  // While someone streams, the newest frame is current; otherwise the source may be idle and
  // the last frame old, so the snapshot asks for a fresh one. ?fresh=1 wants one captured
  // after the request (timelapses), never one already on its way.
  const EncodedFramePtr latest = host_.latest_frame();
  if (!fresh && latest && host_.frames_flowing()) return send_snapshot(latest);
  state_ = State::kAwaitingFrame;
  awaiting_after_seq_ = latest ? latest->header.seq : 0;
  arm(host_.limits().handshake_timeout, &HttpSession::on_frame_timeout);
  fresh_wait_ = fresh;
  frame_request_ = host_.request_frame(std::move(done), fresh ? monotonic_us() : 0);
}

void HttpSession::send_text(int status, std::string_view type, std::string body, bool head_only,
                            bool keep_alive, std::string_view extra_fields) {
  head_out_ =
      response_head(status, type, static_cast<long long>(body.size()), keep_alive, extra_fields);
  body_out_ = head_only ? std::string() : std::move(body);
  write_response();
}

void HttpSession::write_response() {
  state_ = State::kWriting;
  const std::array<asio::const_buffer, 2> buffers{asio::buffer(head_out_), asio::buffer(body_out_)};
  stall_.write(stream_, buffers, [this, self = shared_from_this()](std::error_code e, std::size_t) {
    if (state_ != State::kWriting) return;
    if (e) return end("left before the response was sent", false);
    after_response();
  });
}

void HttpSession::send_error(int status, const std::string& detail, std::string_view extra_fields) {
  // An error ends the connection: after a malformed request nothing says where the next one
  // would start.
  keep_alive_ = false;
  end_reason_ = std::to_string(status) + " " + status_text(status) + ": " + detail;
  end_refused_ = status < 500;
  // A read may be pending (a timeout cut it short); its completion is ignored from here on.
  if (state_ == State::kReading || state_ == State::kReadingBody) {
    asio::error_code ignored;
    stream_.socket().cancel(ignored);
  }
  send_text(status, "text/plain; charset=utf-8",
            std::to_string(status) + " " + status_text(status) + ": " + detail + "\n", head_only_,
            false, status == 405 && extra_fields.empty() ? "Allow: GET, HEAD\r\n" : extra_fields);
}

void HttpSession::send_unauthorized() {
  // Nothing about the camera is revealed; the connection stays open so that a browser can ask
  // the user and send the request again with credentials.
  send_text(401, "text/plain; charset=utf-8",
            "401 Unauthorized: this camera needs credentials: a token (Authorization: Bearer, "
            "or ?token=) or a user name and password\n",
            head_only_, keep_alive_,
            "WWW-Authenticate: Basic realm=\"camstream\", charset=\"UTF-8\"\r\n"
            "WWW-Authenticate: Bearer realm=\"camstream\"\r\n");
}

void HttpSession::on_requested_frame(std::uint64_t token, const EncodedFramePtr& frame) {
  if ((state_ != State::kAwaitingFrame && state_ != State::kAwaitingStill) ||
      token != snapshot_token_)
    return;
  frame_request_ = 0;
  deadline_.disarm();
  if (!frame) {
    keep_alive_ = false;
    return send_error(503, "the camera is stopping");
  }
  send_snapshot(frame);
}

void HttpSession::send_snapshot(const EncodedFramePtr& frame) {
  body_frame_ = frame;
  head_out_ = response_head(200, "image/jpeg", static_cast<long long>(frame->header.jpeg_size),
                            keep_alive_, frame_fields(*frame));
  state_ = State::kWriting;
  std::array<asio::const_buffer, 2> buffers{asio::buffer(head_out_), asio::const_buffer()};
  if (!head_only_) buffers[1] = asio::buffer(frame->jpeg().data(), frame->jpeg().size());
  send_buffer_.fit(stream_.socket(), asio::buffer_size(buffers));
  stall_.write(stream_, buffers, [this, self = shared_from_this()](std::error_code e, std::size_t) {
    if (state_ != State::kWriting) return;
    body_frame_.reset();
    if (e) return end("left before the snapshot was sent", false);
    after_response();
  });
}

void HttpSession::after_response() {
  head_out_.clear();
  body_out_.clear();
  // Waiting for the client again: back in the handshake budget until it says what it wants.
  host_.await_client(*this);
  if (!keep_alive_) {
    // Closing with unread request bytes would send a reset that can destroy the answer in
    // flight: end our side, then drain until the peer closes or the timer gives up on it.
    // Inside TLS, ending our side is a close_notify, and the shutdown reads until the peer's.
    state_ = State::kDraining;
    arm(host_.limits().handshake_timeout, &HttpSession::on_drain_timeout);
    if (auto* tls = stream_.tls()) {
      return tls->async_shutdown([this, self = shared_from_this()](std::error_code) {
        if (state_ != State::kDraining) return;
        end(end_reason_.empty() ? "done" : end_reason_, end_refused_);
      });
    }
    asio::error_code ignored;
    stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    return drain();
  }
  state_ = State::kReading;
  arm(host_.limits().handshake_timeout, &HttpSession::on_request_timeout);
  on_bytes();  // a pipelined request may already be here
}

void HttpSession::drain() {
  stream_.async_read_some(asio::buffer(chunk_),
                          [this, self = shared_from_this()](std::error_code e, std::size_t) {
                            if (state_ != State::kDraining) return;
                            if (e)
                              return end(end_reason_.empty() ? "done" : end_reason_, end_refused_);
                            drain();
                          });
}

void HttpSession::start_stream() {
  head_out_ = response_head(200, "multipart/x-mixed-replace;boundary=" + std::string(kBoundary), -1,
                            false, "Pragma: no-cache\r\n");
  if (head_only_) {
    keep_alive_ = false;  // the head promises a body that only a closed connection ends
    body_out_.clear();
    return write_response();
  }
  host_.log_client(log::Level::kInfo, peer_, "HTTP client " + peer_.name + " streaming");
  state_ = State::kStreaming;
  streamed_ = true;
  watch_ = host_.watch();
  // A new viewer gets the current picture at once, after the head.
  slot_.begin(monotonic_us(), host_.latest_frame());
  stream_head_in_flight_ = true;
  stall_.write(stream_, asio::buffer(head_out_),
               [this, self = shared_from_this()](std::error_code e, std::size_t) {
                 if (state_ != State::kStreaming) return;
                 stream_head_in_flight_ = false;
                 if (e) return end("disconnected", false);
                 write_next_part();
               });
  watch_stream();
}

void HttpSession::watch_stream() {
  // The client has nothing more to say; reading only notices when it leaves. What it sends
  // anyway is read into the same small buffer and dropped.
  stream_.async_read_some(asio::buffer(chunk_),
                          [this, self = shared_from_this()](std::error_code e, std::size_t) {
                            if (state_ != State::kStreaming) return;
                            if (e) return end("disconnected", false);
                            watch_stream();
                          });
}

void HttpSession::deliver(const EncodedFramePtr& frame) {
  if (!frame) return;
  if (state_ == State::kAwaitingFrame) {
    // Someone else's stream may bring a new frame before the requested one comes (a fresh
    // snapshot waits for the hub's answer, captured after it asked).
    if (frame->header.seq <= awaiting_after_seq_ || fresh_wait_) return;
    cancel_request();
    deadline_.disarm();
    return send_snapshot(frame);
  }
  if (state_ != State::kStreaming) return;
  const FrameSlot::Offer offered = slot_.offer(frame);
  if (offered == FrameSlot::Offer::kIgnored) return;
  if (offered == FrameSlot::Offer::kReplaced) host_.frame_skipped();
  write_next_part();
}

void HttpSession::write_next_part() {
  if (stream_head_in_flight_ || state_ != State::kStreaming) return;
  body_frame_ = slot_.take(monotonic_us());
  if (!body_frame_) return;
  const EncodedFrame& f = *body_frame_;
  head_out_ = "--" + std::string(kBoundary) + "\r\nContent-Type: image/jpeg\r\nContent-Length: " +
              std::to_string(f.header.jpeg_size) + "\r\n" + frame_fields(f) + "\r\n";
  // Part header, the JPEG every client shares, and the CRLF that ends the part.
  const std::array<asio::const_buffer, 3> buffers{asio::buffer(head_out_),
                                                  asio::buffer(f.jpeg().data(), f.jpeg().size()),
                                                  asio::buffer(kCrlf.data(), kCrlf.size())};
  send_buffer_.fit(stream_.socket(), asio::buffer_size(buffers));
  stall_.write(stream_, buffers, [this, self = shared_from_this()](std::error_code e, std::size_t) {
    if (state_ != State::kStreaming) return;
    if (e) return end("disconnected", false);
    body_frame_.reset();
    host_.frame_sent(slot_.written(monotonic_us()));
    write_next_part();
  });
}

void HttpSession::on_request_timeout() {
  if (state_ == State::kReadingBody) {
    return send_error(408, "the request body did not arrive within " +
                               std::to_string(host_.limits().handshake_timeout.count()) + " ms");
  }
  if (state_ != State::kReading) return;
  // A quiet kept-alive connection just ends; one that started a request and did not finish
  // it in time is told so.
  if (in_.find_first_not_of("\r\n") == std::string::npos) {
    return end(requests_ ? "idle keep-alive connection closed" : "said nothing in time", false);
  }
  send_error(408, "the request head did not arrive within " +
                      std::to_string(host_.limits().handshake_timeout.count()) + " ms");
}

void HttpSession::on_frame_timeout() {
  if (state_ != State::kAwaitingFrame && state_ != State::kAwaitingStill) return;
  const bool still = state_ == State::kAwaitingStill;
  cancel_request();
  keep_alive_ = false;
  send_error(503, still ? "the camera gave no full-size still in time; try again"
                        : "no frame has been captured yet; try again");
}

void HttpSession::on_stall() {
  if (state_ == State::kEnded) return;
  host_.client_stalled();
  abort_on_close(stream_.socket());
  end("stalled: no byte taken for " + std::to_string(host_.limits().write_timeout.count()) + " ms",
      false);
}

void HttpSession::on_drain_timeout() {
  end(end_reason_.empty() ? "done" : end_reason_, end_refused_);
}

}  // namespace camstream
