// http_stream_test.cpp - camview's HTTP MJPEG reader over the dialects servers send, and bad input.
#include "viewer/net/http_stream.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/viewer_helpers.hpp"

namespace camstream {
namespace {

using testing::chunked;
using testing::mjpeg_part;

struct Collected {
  std::vector<MjpegPart> parts;
  MjpegResponseReader reader{[this](MjpegPart&& p) { parts.push_back(std::move(p)); }};

  // Feeds `text` in pieces of `step` bytes; false as soon as the reader refuses.
  bool feed(const std::string& text, std::size_t step = 0) {
    if (step == 0) step = text.size();
    for (std::size_t i = 0; i < text.size(); i += step) {
      const std::string piece = text.substr(i, step);
      if (!reader.feed({reinterpret_cast<const std::uint8_t*>(piece.data()), piece.size()}))
        return false;
    }
    return true;
  }
};

std::string as_text(const MjpegPart& p) {
  return std::string(p.jpeg.begin(), p.jpeg.end());
}

// A fake JPEG whose bytes contain CR, LF and dashes, as a real one can.
const std::string kJpegA = std::string("\xff\xd8", 2) + "A\r\n--not-it\r\n\n-" + "\xff\xd9";
const std::string kJpegB = std::string("\xff\xd8", 2) + "BB" + "\xff\xd9";

TEST(MjpegReader, CamstreamdStyleWithLengthsAndSequence) {
  const std::string text =
      "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace;boundary=camstreamframe\r\n\r\n" +
      mjpeg_part("--camstreamframe", kJpegA, true, "X-Sequence: 7\r\nX-Timestamp: 1.5\r\n") +
      mjpeg_part("--camstreamframe", kJpegB, true, "X-Sequence: 9\r\n");
  for (std::size_t step : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
    Collected c;
    ASSERT_TRUE(c.feed(text, step)) << c.reader.error();
    ASSERT_EQ(c.parts.size(), 2u) << step;
    EXPECT_EQ(as_text(c.parts[0]), kJpegA);
    EXPECT_EQ(c.parts[0].sequence.value_or(0), 7u);
    EXPECT_EQ(as_text(c.parts[1]), kJpegB);
    EXPECT_EQ(c.parts[1].sequence.value_or(0), 9u);
    EXPECT_EQ(c.reader.status(), "200 OK");
  }
}

TEST(MjpegReader, PartsWithoutLengthEndAtTheNextBoundary) {
  const std::string text =
      "HTTP/1.0 200 OK\r\nContent-Type: multipart/x-mixed-replace; boundary=\"frame\"\r\n\r\n" +
      mjpeg_part("--frame", kJpegA, false) + mjpeg_part("--frame", kJpegB, false) + "--frame--\r\n";
  for (std::size_t step : {std::size_t{0}, std::size_t{1}, std::size_t{3}}) {
    Collected c;
    ASSERT_TRUE(c.feed(text, step)) << c.reader.error();
    ASSERT_EQ(c.parts.size(), 2u) << step;
    EXPECT_EQ(as_text(c.parts[0]), kJpegA);
    EXPECT_EQ(as_text(c.parts[1]), kJpegB);
    EXPECT_TRUE(c.reader.ended());
  }
}

TEST(MjpegReader, FfmpegChunkedOctetStreamIsSniffed) {
  // ffmpeg's HTTP server: no multipart type, chunked coding, lower-case field names.
  const std::string body =
      mjpeg_part("--ffmpeg", kJpegA, true) + mjpeg_part("--ffmpeg", kJpegB, true);
  const std::string text =
      "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: "
      "chunked\r\n\r\n" +
      chunked(body, 5);
  for (std::size_t step : {std::size_t{0}, std::size_t{1}, std::size_t{11}}) {
    Collected c;
    ASSERT_TRUE(c.feed(text, step)) << c.reader.error();
    ASSERT_EQ(c.parts.size(), 2u) << step;
    EXPECT_EQ(as_text(c.parts[1]), kJpegB);
    EXPECT_TRUE(c.reader.ended());
  }
}

TEST(MjpegReader, BoundaryDeclaredWithDashesAndPreamble) {
  const std::string text =
      "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace;boundary=--myboundary\r\n\r\n"
      "some preamble\r\n\r\n" +
      mjpeg_part("--myboundary", kJpegA, false) + mjpeg_part("--myboundary", kJpegB, true);
  Collected c;
  ASSERT_TRUE(c.feed(text, 2)) << c.reader.error();
  ASSERT_EQ(c.parts.size(), 2u);
  EXPECT_EQ(as_text(c.parts[0]), kJpegA);
}

TEST(MjpegReader, SingleJpegIsOnePicture) {
  Collected c;
  ASSERT_TRUE(c.feed("HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: " +
                     std::to_string(kJpegB.size()) + "\r\n\r\n" + kJpegB));
  ASSERT_EQ(c.parts.size(), 1u);
  EXPECT_EQ(as_text(c.parts[0]), kJpegB);
}

TEST(MjpegReader, ErrorsSaySomethingUseful) {
  struct Case {
    std::string text;
    std::string needle;
  };
  const std::string mp =
      "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace;boundary=b\r\n\r\n";
  const std::vector<Case> cases = {
      {"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", "404 Not Found"},
      {"HTTP/1.1 302 Found\r\nLocation: http://x/stream\r\n\r\n", "http://x/stream"},
      {"SSH-2.0-OpenSSH_9.2\r\n", "does not answer in HTTP"},
      {"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html><body>", "not an MJPEG stream"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "transfer coding"},
      {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"},
      {mp + "--b\r\nContent-Length: 99999999999\r\n", "16 MiB"},
      {mp + "--b\r\nContent-Length: abc\r\n", "not a number"},
      {mp + "--b\r\nX: " + std::string(kMaxPartHeaderLine + 1, 'x'), "4 KiB"},
      // The same line arriving whole, newline and all, in one read.
      {mp + "--b\r\nX: " + std::string(kMaxPartHeaderLine + 1, 'x') + "\r\n\r\n", "4 KiB"},
      {mp + std::string(kMaxJunkBytes + 10, 'j'), "not an MJPEG stream"},
      {"HTTP/1.1 200 OK\r\n" + std::string(kMaxResponseHead + 1, 'h'), "16 KiB"},
  };
  for (const Case& k : cases) {
    Collected c;
    EXPECT_FALSE(c.feed(k.text)) << k.needle << " / " << k.text.substr(0, 120);
    EXPECT_NE(c.reader.error().find(k.needle), std::string::npos) << c.reader.error();
  }
  std::string junk_lines = mp;
  while (junk_lines.size() < kMaxJunkBytes + 1000)
    junk_lines += "not a boundary\r\n";
  Collected c;
  EXPECT_FALSE(c.feed(junk_lines));
  EXPECT_NE(c.reader.error().find("boundary"), std::string::npos);
}

TEST(MjpegReader, PartWithoutLengthIsBounded) {
  std::string text =
      "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace;boundary=b\r\n\r\n"
      "--b\r\n\r\n";
  Collected c;
  ASSERT_TRUE(c.feed(text));
  const std::string chunk(1 << 20, 'x');
  bool ok = true;
  for (int i = 0; i < 20 && ok; ++i)
    ok = c.feed(chunk);
  EXPECT_FALSE(ok);
  EXPECT_NE(c.reader.error().find("without a Content-Length"), std::string::npos);
}

TEST(MjpegReader, CloseBeforeAnswerIsAnError) {
  Collected c;
  EXPECT_TRUE(c.feed("HTTP/1.1 20"));
  EXPECT_FALSE(c.reader.finish());
}

}  // namespace
}  // namespace camstream
