// http_request_fuzz.cpp - fuzzes camstreamd's HTTP request-head parser (device/serve/http_request).
//
// Invariants beyond "no crash": a head still incomplete never exceeds kMaxHeadBytes (the
// session keeps buffering it); a complete head ends in CRLF CRLF within the input and the
// bound, parses the same without the bytes after it, and re-encoded in canonical form parses
// to the same request; no prefix of a complete head is an error (errors only when proven).
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "device/serve/http_request.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

using camstream::http::kMaxHeadBytes;
using camstream::http::kMaxHeaderFields;
using camstream::http::ParseResult;
using camstream::http::Request;

bool same(const Request& a, const Request& b) {
  return a.method == b.method && a.target == b.target && a.path == b.path && a.query == b.query &&
         a.minor_version == b.minor_version && a.fields == b.fields && a.has_body == b.has_body;
}

void check_well_formed(const Request& r) {
  FUZZ_CHECK(!r.method.empty());
  FUZZ_CHECK(!r.target.empty());
  FUZZ_CHECK(r.path == "*" || r.path.front() == '/');
  FUZZ_CHECK(r.minor_version >= 0 && r.minor_version <= 9);
  FUZZ_CHECK(r.fields.size() <= kMaxHeaderFields);
  for (const auto& [name, value] : r.fields) {
    FUZZ_CHECK(!name.empty());
    FUZZ_CHECK(std::none_of(name.begin(), name.end(), [](char c) {
      return std::isupper(static_cast<unsigned char>(c)) != 0;
    }));
    FUZZ_CHECK(value.find_first_of("\r\n") == std::string::npos);
    if (!value.empty()) {
      FUZZ_CHECK(value.front() != ' ' && value.front() != '\t');
      FUZZ_CHECK(value.back() != ' ' && value.back() != '\t');
    }
  }
}

std::string canonical(const Request& r) {
  std::string s = r.method + " " + r.target + " HTTP/1." + std::to_string(r.minor_version) + "\r\n";
  for (const auto& [name, value] : r.fields)
    s += name + ": " + value + "\r\n";
  return s + "\r\n";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  Request request;
  const ParseResult result = camstream::http::parse_request(input, request);

  switch (result.state) {
    case ParseResult::State::kIncomplete:
      FUZZ_CHECK(input.size() <= kMaxHeadBytes);
      return 0;
    case ParseResult::State::kError:
      FUZZ_CHECK(result.status == 400 || result.status == 414 || result.status == 431 ||
                 result.status == 505);
      FUZZ_CHECK(!result.reason.empty());
      return 0;
    case ParseResult::State::kComplete:
      break;
  }

  FUZZ_CHECK(result.head_size >= 4 && result.head_size <= input.size());
  FUZZ_CHECK(result.head_size <= kMaxHeadBytes);
  FUZZ_CHECK(input.substr(result.head_size - 4, 4) == "\r\n\r\n");
  check_well_formed(request);

  // What follows the head (a pipelined request) does not change it.
  const std::string_view head = input.substr(0, result.head_size);
  Request alone;
  const ParseResult again = camstream::http::parse_request(head, alone);
  FUZZ_CHECK(again.state == ParseResult::State::kComplete);
  FUZZ_CHECK(again.head_size == result.head_size);
  FUZZ_CHECK(same(alone, request));

  // The head as bytes arrive: every prefix is incomplete, never an error (a client whose
  // request is fine must not be refused because of where a read happened to end). Every
  // prefix of a short head, a spread of them in a long one, to keep runs fast.
  const std::size_t step = std::max<std::size_t>(1, head.size() / 64);
  for (std::size_t n = 0; n < head.size(); n += step) {
    Request partial;
    const ParseResult p = camstream::http::parse_request(head.substr(0, n), partial);
    FUZZ_CHECK(p.state == ParseResult::State::kIncomplete);
  }

  // Re-encoded canonically (lower-case names, "name: value"), the request is the same.
  const std::string encoded = canonical(request);
  if (encoded.size() <= kMaxHeadBytes) {
    Request reparsed;
    const ParseResult r = camstream::http::parse_request(encoded, reparsed);
    FUZZ_CHECK(r.state == ParseResult::State::kComplete);
    FUZZ_CHECK(r.head_size == encoded.size());
    FUZZ_CHECK(same(reparsed, request));
  }
  return 0;
}
