// mjpeg_reader_fuzz.cpp - fuzzes camview's HTTP MJPEG response reader (viewer/net/http_stream).
//
// The first input byte chooses how the rest is cut into reads; the rest is the server's
// response. Invariants beyond "no crash": the reader's verdict and parts do not depend on how
// the bytes were cut into reads (the same response read whole, and in pieces of 1 to 64 bytes
// varying along the input); no part exceeds kMaxPartBytes; the parts hold no more bytes than
// came in; a reader that refused once refuses for good, and says why.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "tests/fuzz/fuzz_check.hpp"
#include "viewer/net/http_stream.hpp"

namespace {

using camstream::MjpegPart;
using camstream::MjpegResponseReader;

struct Outcome {
  std::vector<MjpegPart> parts;
  bool ok = true;  // no feed() refused and finish() agreed
  bool ended = false;
  std::string error;
  std::string status;
};

// Feeds `in` in pieces whose sizes follow `cut` (0: all at once), then finish().
Outcome read(std::span<const std::uint8_t> in, std::uint8_t cut) {
  Outcome out;
  MjpegResponseReader reader([&out](MjpegPart&& part) {
    FUZZ_CHECK(part.jpeg.size() <= camstream::kMaxPartBytes);
    out.parts.push_back(std::move(part));
  });
  std::size_t at = 0;
  std::uint32_t state = cut;
  while (at < in.size()) {
    std::size_t n = in.size() - at;
    if (cut != 0) {
      state = state * 1103515245u + 12345u;  // the same pieces for the same first byte
      n = std::min<std::size_t>(n, 1 + (state >> 16) % 64);
    }
    if (!reader.feed(in.subspan(at, n))) {
      out.ok = false;
      break;
    }
    at += n;
  }
  if (out.ok) out.ok = reader.finish();
  if (!out.ok) {
    FUZZ_CHECK(!reader.error().empty());
    // Refused once, refused for good.
    FUZZ_CHECK(!reader.feed(in.first(std::min<std::size_t>(in.size(), 1))));
  }
  out.ended = reader.ended();
  out.error = reader.error();
  out.status = reader.status();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t cut = data[0] == 0 ? 1 : data[0];
  const std::span<const std::uint8_t> response(data + 1, size - 1);

  const Outcome whole = read(response, 0);
  const Outcome pieces = read(response, cut);

  std::size_t total = 0;
  for (const MjpegPart& p : whole.parts)
    total += p.jpeg.size();
  FUZZ_CHECK(total <= response.size());

  FUZZ_CHECK(whole.ok == pieces.ok);
  FUZZ_CHECK(whole.error == pieces.error);
  FUZZ_CHECK(whole.status == pieces.status);
  FUZZ_CHECK(whole.ended == pieces.ended);
  FUZZ_CHECK(whole.parts.size() == pieces.parts.size());
  for (std::size_t i = 0; i < whole.parts.size(); ++i) {
    FUZZ_CHECK(whole.parts[i].jpeg == pieces.parts[i].jpeg);
    FUZZ_CHECK(whole.parts[i].sequence == pieces.parts[i].sequence);
  }
  return 0;
}
