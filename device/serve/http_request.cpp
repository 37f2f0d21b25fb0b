// http_request.cpp - request line and header fields, checked byte by byte against RFC 9112.
#include "device/serve/http_request.hpp"

#include <algorithm>
#include <cctype>
#include <string>

#include "shared/text.hpp"

namespace camstream::http {
namespace {

using text::iequals;
using text::lower;
using text::trim;

bool is_tchar(unsigned char c) {
  if (std::isalnum(c)) return true;
  constexpr std::string_view kExtra = "!#$%&'*+-.^_`|~";
  return kExtra.find(static_cast<char>(c)) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}

ParseResult fail(int status, std::string reason) {
  ParseResult r;
  r.state = ParseResult::State::kError;
  r.status = status;
  r.reason = std::move(reason);
  return r;
}

// Bytes no request may contain anywhere: control characters other than HTAB, CR and LF, and
// a CR that is not the start of a CRLF. Checks only what has arrived.
std::optional<ParseResult> check_bytes(std::string_view in) {
  for (std::size_t i = 0; i < in.size(); ++i) {
    const auto c = static_cast<unsigned char>(in[i]);
    if (c == '\r') {
      if (i + 1 < in.size() && in[i + 1] != '\n') return fail(400, "a CR not followed by LF");
    } else if (c == '\n') {
      if (i == 0 || in[i - 1] != '\r') return fail(400, "a line that does not end in CRLF");
    } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
      return fail(400, "a control character in the request");
    }
  }
  return std::nullopt;
}

// Splits an origin-form or absolute-form target into path and query.
bool split_target(std::string_view target, std::string& path, std::string& query) {
  std::string_view rest = target;
  if (rest.front() != '/') {
    constexpr std::string_view kScheme = "http://";
    if (rest.size() < kScheme.size() || !iequals(rest.substr(0, kScheme.size()), kScheme))
      return false;
    rest.remove_prefix(kScheme.size());
    const std::size_t slash = rest.find_first_of("/?");
    const std::string_view authority = rest.substr(0, slash);
    if (authority.empty()) return false;
    rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  }
  const std::size_t q = rest.find('?');
  path = std::string(rest.substr(0, q));
  query = q == std::string_view::npos ? std::string() : std::string(rest.substr(q + 1));
  if (path.empty()) path.assign(1, '/');  // not = "/": GCC 12 -O3 warns falsely (PR 105651)
  if (path.front() != '/') return false;
  return true;
}

// "METHOD SP target SP HTTP/1.x", exactly one space between the parts.
std::optional<ParseResult> parse_request_line(std::string_view line, Request& out) {
  const std::size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return fail(400, "a request line without a target");
  const std::string_view method = line.substr(0, sp1);
  if (!is_token(method)) return fail(400, "a method that is not a token");
  const std::size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return fail(400, "a request line without an HTTP version");
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (target.empty()) return fail(400, "an empty request target");
  for (char c : target) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f)
      return fail(400, "a request target with a space or a non-ASCII byte");
  }
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" ||
      !std::isdigit(static_cast<unsigned char>(version[5])) || version[6] != '.' ||
      !std::isdigit(static_cast<unsigned char>(version[7]))) {
    return fail(400, "a malformed HTTP version");
  }
  if (version[5] != '1') return fail(505, "an HTTP version other than 1.x");
  out.method = std::string(method);
  out.target = std::string(target);
  out.minor_version = version[7] - '0';
  if (target == "*") {
    // Only OPTIONS may ask about the server as a whole; it gets 405 from the router.
    if (method != "OPTIONS") return fail(400, "a '*' target with a method other than OPTIONS");
    out.path.assign(1, '*');
    out.query.clear();
    return std::nullopt;
  }
  if (!split_target(target, out.path, out.query)) return fail(400, "a malformed request target");
  return std::nullopt;
}

std::optional<ParseResult> parse_field(std::string_view line, Request& out) {
  if (line.front() == ' ' || line.front() == '\t') return fail(400, "a folded header line");
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return fail(400, "a header line without a colon");
  const std::string_view name = line.substr(0, colon);
  if (!is_token(name)) return fail(400, "a header name that is not a token");
  if (out.fields.size() >= kMaxHeaderFields) return fail(431, "too many header fields");
  out.fields.emplace_back(lower(name), std::string(trim(line.substr(colon + 1))));
  return std::nullopt;
}

// What the fields mean together: Host, and whether a body follows.
std::optional<ParseResult> check_fields(Request& out) {
  int hosts = 0;
  bool have_length = false;
  std::string_view length;
  for (const auto& [name, value] : out.fields) {
    if (name == "host") {
      ++hosts;
    } else if (name == "content-length") {
      const bool digits = !value.empty() && value.size() <= 18 &&
                          std::all_of(value.begin(), value.end(), [](char c) {
                            return std::isdigit(static_cast<unsigned char>(c));
                          });
      if (!digits) return fail(400, "a malformed Content-Length");
      if (have_length && value != length) return fail(400, "conflicting Content-Length fields");
      have_length = true;
      length = value;
      if (value.find_first_not_of('0') != std::string::npos) out.has_body = true;
      out.content_length = static_cast<std::size_t>(std::stoull(std::string(value)));
    } else if (name == "transfer-encoding") {
      out.has_body = true;
      out.chunked = true;
    }
  }
  if (hosts > 1) return fail(400, "more than one Host field");
  if (hosts == 0 && out.minor_version >= 1) return fail(400, "an HTTP/1.1 request without Host");
  return std::nullopt;
}

}  // namespace

std::optional<std::string_view> Request::field(std::string_view name) const {
  for (const auto& [n, v] : fields) {
    if (n == name) return std::string_view(v);
  }
  return std::nullopt;
}

bool Request::keep_alive() const {
  bool close = false;
  bool keep = false;
  for (const auto& [n, v] : fields) {
    if (n != "connection") continue;
    std::string_view rest = v;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      const std::string_view option = trim(rest.substr(0, comma));
      if (iequals(option, "close")) close = true;
      if (iequals(option, "keep-alive")) keep = true;
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
  }
  if (close) return false;
  return minor_version >= 1 || keep;
}

std::optional<std::string_view> Request::query_value(std::string_view key) const {
  std::string_view rest = query;
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    const std::size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key)
      return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
  }
  return std::nullopt;
}

ParseResult parse_request(std::string_view input, Request& out) {
  out = Request{};
  // Empty lines before a request are allowed (a client may send one after a body).
  std::size_t start = 0;
  while (input.size() - start >= 2 && input.substr(start, 2) == "\r\n")
    start += 2;
  const std::string_view in = input.substr(start);

  const std::size_t line_end = in.find("\r\n");
  const std::size_t end = in.find("\r\n\r\n");
  const std::string_view seen = end == std::string_view::npos ? in : in.substr(0, end + 4);
  if (auto bad = check_bytes(seen)) return *bad;

  if (line_end == std::string_view::npos) {
    if (in.size() > kMaxRequestLine) return fail(414, "a request line longer than 2048 bytes");
    // A method that is already not a token needs no more bytes to be refused. A lone CR is
    // no method yet: it may be the first half of an empty line's CRLF before the request.
    const std::size_t sp = in.find(' ');
    const std::string_view method = in.substr(0, sp);
    if (!method.empty() && in != "\r" && !is_token(method))
      return fail(400, "a method that is not a token");
    if (input.size() > kMaxHeadBytes) return fail(431, "a request head larger than 8192 bytes");
    return {};
  }
  if (line_end > kMaxRequestLine) return fail(414, "a request line longer than 2048 bytes");
  if (auto bad = parse_request_line(in.substr(0, line_end), out)) return *bad;

  if (end == std::string_view::npos || start + end + 4 > kMaxHeadBytes) {
    if (input.size() > kMaxHeadBytes || end != std::string_view::npos)
      return fail(431, "a request head larger than 8192 bytes");
    return {};
  }
  // Fields: every line between the request line and the empty line.
  std::size_t pos = line_end + 2;
  while (pos < end + 2) {
    const std::size_t eol = in.find("\r\n", pos);
    if (auto bad = parse_field(in.substr(pos, eol - pos), out)) return *bad;
    pos = eol + 2;
  }
  if (auto bad = check_fields(out)) return *bad;
  ParseResult r;
  r.state = ParseResult::State::kComplete;
  r.head_size = start + end + 4;
  return r;
}

}  // namespace camstream::http
