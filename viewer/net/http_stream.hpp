// http_stream.hpp - reads an HTTP MJPEG response: status, fields, chunked coding, multipart parts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace camstream {

// Bounds on what a server may send. A part over kMaxPartBytes (the native protocol's JPEG
// bound) or any line over its bound ends the stream with an error, never a larger buffer.
inline constexpr std::size_t kMaxResponseHead = 16 * 1024;
inline constexpr std::size_t kMaxPartHeaderLine = 4096;
inline constexpr std::size_t kMaxPartHeaderFields = 64;
inline constexpr std::size_t kMaxPartBytes = 16u * 1024 * 1024;
// Bytes between parts that are not a boundary (a preamble, padding) before we give up.
inline constexpr std::size_t kMaxJunkBytes = 64 * 1024;

struct MjpegPart {
  std::vector<std::uint8_t> jpeg;
  std::optional<std::uint64_t> sequence;  // the part's X-Sequence field (camstreamd sends it)
};

// A push parser for one response: feed() it the bytes as they arrive. It accepts what the
// servers in the wild send: multipart/x-mixed-replace with or without Content-Length in each
// part, a boundary declared with or without quotes or a leading "--", a body in chunked
// transfer coding (ffmpeg's server), a Content-Type that does not say multipart when the body
// starts with a boundary line, and a single image/jpeg (one part, then the end).
class MjpegResponseReader {
 public:
  using PartSink = std::function<void(MjpegPart&&)>;
  explicit MjpegResponseReader(PartSink sink) : sink_(std::move(sink)) {}

  // False once the response is unusable; error() then says why in a sentence.
  bool feed(std::span<const std::uint8_t> bytes);
  // The connection closed: true when that is a normal end (or the one image is complete).
  bool finish();

  const std::string& error() const { return error_; }
  // The server's answer once its head is read: "200 OK".
  const std::string& status() const { return status_; }
  // Whether the body ended as the response said it would (closing boundary, last chunk).
  bool ended() const { return ended_; }

 private:
  enum class Stage { kHead, kBody, kFailed, kDone };
  enum class Part { kPreamble, kHeaders, kData };
  bool fail(std::string message);
  bool not_mjpeg();
  bool parse_head(std::string_view head);
  bool body(const std::uint8_t* data, std::size_t size);  // after transfer decoding
  bool chunked(const std::uint8_t* data, std::size_t size);
  bool multipart();
  bool delimiter_line(std::string_view line, bool& closing) const;
  void compact();

  PartSink sink_;
  std::string error_;
  std::string status_;
  Stage stage_ = Stage::kHead;
  std::string head_;

  // Body framing.
  bool chunked_ = false;
  std::optional<std::uint64_t> body_left_;  // Content-Length of the response, if any
  enum class Chunk { kSize, kData, kDataEnd, kTrailer } chunk_stage_ = Chunk::kSize;
  std::string chunk_line_;
  std::uint64_t chunk_left_ = 0;
  bool ended_ = false;

  // Content.
  bool single_image_ = false;  // image/jpeg: the whole body is one picture
  bool sniff_boundary_ = false;
  std::string boundary_;  // without the leading "--"
  std::string content_type_;
  std::string buf_;      // decoded body not yet consumed
  std::size_t pos_ = 0;  // consumed prefix of buf_
  Part part_ = Part::kPreamble;
  std::size_t junk_ = 0;
  std::size_t part_fields_ = 0;
  std::optional<std::size_t> part_length_;
  std::optional<std::uint64_t> part_sequence_;
  std::size_t scanned_ = 0;  // kData without a length: where the boundary search resumes
};

}  // namespace camstream
