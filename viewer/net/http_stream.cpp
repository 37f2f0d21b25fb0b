// http_stream.cpp - response head, chunked decoding and multipart part splitting, every line
// bounded.
#include "viewer/net/http_stream.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "shared/text.hpp"

namespace camstream {
namespace {

using text::lower;
using text::trim;

// Decimal digits only, at most `max`; nothing on anything else.
std::optional<std::uint64_t> parse_decimal(std::string_view s, std::uint64_t max) {
  s = trim(s);
  if (s.empty() || s.size() > 19) return std::nullopt;
  std::uint64_t v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  if (v > max) return std::nullopt;
  return v;
}

// "name: value" split; false when the line has no colon.
bool split_field(std::string_view line, std::string& name, std::string_view& value) {
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  name = lower(trim(line.substr(0, colon)));
  value = trim(line.substr(colon + 1));
  return true;
}

}  // namespace

bool MjpegResponseReader::fail(std::string message) {
  if (stage_ != Stage::kFailed) error_ = std::move(message);
  stage_ = Stage::kFailed;
  return false;
}

bool MjpegResponseReader::not_mjpeg() {
  return fail("the server's answer is not an MJPEG stream (Content-Type: " +
              (content_type_.empty() ? std::string("none") : content_type_) +
              "); give the stream's URL, e.g. http://HOST:PORT/stream");
}

bool MjpegResponseReader::feed(std::span<const std::uint8_t> bytes) {
  const auto* data = bytes.data();
  std::size_t size = bytes.size();
  if (stage_ == Stage::kFailed) return false;
  if (stage_ == Stage::kDone) return true;  // whatever follows the end is not ours to read
  if (stage_ == Stage::kHead) {
    // Only the bytes up to the end of the head go into head_; the rest is body.
    std::size_t used = 0;
    while (used < size) {
      head_ += static_cast<char>(data[used++]);
      if (head_.size() >= 4 && head_.compare(head_.size() - 4, 4, "\r\n\r\n") == 0) break;
      if (head_.size() >= 2 && head_.compare(head_.size() - 2, 2, "\n\n") == 0) break;
      if (head_.size() > kMaxResponseHead) {
        return fail("the server's response head is larger than 16 KiB");
      }
    }
    // Checked whether or not the head is complete, so that the verdict on the same bytes does
    // not depend on how they were cut into reads.
    if (head_.size() >= 5 && head_.compare(0, 5, "HTTP/") != 0) {
      return fail("the server does not answer in HTTP; is this the right port?");
    }
    const bool complete =
        (head_.size() >= 4 && head_.ends_with("\r\n\r\n")) || head_.ends_with("\n\n");
    if (!complete) return true;
    if (!parse_head(head_)) return false;
    stage_ = Stage::kBody;
    data += used;
    size -= used;
    if (body_left_ && *body_left_ == 0) ended_ = true;
  }
  if (size == 0) return true;
  return chunked_ ? chunked(data, size) : body(data, size);
}

bool MjpegResponseReader::parse_head(std::string_view head) {
  const std::size_t eol = head.find('\n');
  const std::string_view status_line = trim(head.substr(0, eol));
  // "HTTP/1.x NNN reason"
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ') {
    return fail("the server does not answer in HTTP/1.x; is this the right port?");
  }
  const std::string_view code = status_line.substr(9, 3);
  const auto status = parse_decimal(code, 999);
  if (!status) return fail("the server's status line is malformed");
  status_ = std::string(status_line.substr(9));

  std::string location;
  std::string_view rest = head.substr(eol + 1);
  while (!rest.empty()) {
    const std::size_t nl = rest.find('\n');
    const std::string_view line = trim(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
    if (line.empty()) continue;
    std::string name;
    std::string_view value;
    if (!split_field(line, name, value)) return fail("the server sent a malformed header line");
    if (name == "content-type") {
      content_type_ = std::string(value);
    } else if (name == "transfer-encoding") {
      const std::string coding = lower(value);
      if (coding != "chunked") {
        return fail("the server uses the transfer coding '" + std::string(value) +
                    "', which camview does not read");
      }
      chunked_ = true;
    } else if (name == "content-length") {
      body_left_ = parse_decimal(value, std::uint64_t{1} << 62);
      if (!body_left_) return fail("the server sent a malformed Content-Length");
    } else if (name == "location") {
      location = std::string(value);
    }
  }
  if (chunked_) body_left_.reset();  // RFC 9112: chunked wins over a Content-Length
  if (*status != 200) {
    std::string advice = "give the URL of an MJPEG stream, e.g. http://HOST:PORT/stream";
    if (*status >= 300 && *status < 400 && !location.empty()) {
      advice = "it points to " + location + "; give that URL instead";
    }
    return fail("the server answered " + status_ + "; " + advice);
  }
  const std::string type = lower(content_type_);
  if (type.starts_with("multipart/")) {
    const std::size_t b = type.find("boundary=");
    if (b != std::string::npos) {
      // The parameter's value keeps its case: take it from the original text.
      std::string_view value = std::string_view(content_type_).substr(b + 9);
      value = trim(value.substr(0, value.find(';')));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      if (value.empty() || value.size() > 200) return fail("the server declared a bad boundary");
      boundary_ = std::string(value);
    } else {
      sniff_boundary_ = true;
    }
  } else if (type.starts_with("image/jpeg") || type.starts_with("image/jpg")) {
    single_image_ = true;
  } else {
    // ffmpeg's server says application/octet-stream: the body itself tells.
    sniff_boundary_ = true;
  }
  return true;
}

bool MjpegResponseReader::chunked(const std::uint8_t* data, std::size_t size) {
  std::size_t i = 0;
  while (i < size && stage_ == Stage::kBody) {
    if (chunk_stage_ == Chunk::kData) {
      const std::size_t n =
          static_cast<std::size_t>(std::min<std::uint64_t>(chunk_left_, size - i));
      if (!body(data + i, n)) return false;
      i += n;
      chunk_left_ -= n;
      if (chunk_left_ == 0) chunk_stage_ = Chunk::kDataEnd;
      continue;
    }
    const char c = static_cast<char>(data[i++]);
    if (c != '\n') {
      if (chunk_line_.size() >= kMaxPartHeaderLine)
        return fail("the server sent a chunk line over 4 KiB");
      chunk_line_ += c;
      continue;
    }
    const std::string line(trim(chunk_line_));
    chunk_line_.clear();
    switch (chunk_stage_) {
      case Chunk::kSize: {
        const std::string hex(trim(std::string_view(line).substr(0, line.find(';'))));
        if (hex.empty() || hex.size() > 15 || !std::all_of(hex.begin(), hex.end(), [](char h) {
              return std::isxdigit(static_cast<unsigned char>(h));
            })) {
          return fail("the server sent a malformed chunk size");
        }
        chunk_left_ = std::stoull(hex, nullptr, 16);
        chunk_stage_ = chunk_left_ == 0 ? Chunk::kTrailer : Chunk::kData;
        break;
      }
      case Chunk::kDataEnd:
        if (!line.empty()) return fail("the server sent a chunk without its closing CRLF");
        chunk_stage_ = Chunk::kSize;
        break;
      case Chunk::kTrailer:
        if (line.empty()) {
          ended_ = true;
          if (single_image_) return finish();
          stage_ = Stage::kDone;
        }
        break;
      case Chunk::kData:
        break;
    }
  }
  return stage_ != Stage::kFailed;
}

bool MjpegResponseReader::body(const std::uint8_t* data, std::size_t size) {
  if (stage_ != Stage::kBody) return stage_ != Stage::kFailed;
  if (body_left_) {
    size = static_cast<std::size_t>(std::min<std::uint64_t>(size, *body_left_));
    *body_left_ -= size;
  }
  buf_.append(reinterpret_cast<const char*>(data), size);
  if (single_image_) {
    if (buf_.size() > kMaxPartBytes) return fail("the server sent an image larger than 16 MiB");
    if (body_left_ && *body_left_ == 0) {
      ended_ = true;
      return finish();
    }
    return true;
  }
  const bool ok = multipart();
  if (ok && body_left_ && *body_left_ == 0) ended_ = true;
  return ok;
}

bool MjpegResponseReader::delimiter_line(std::string_view line, bool& closing) const {
  line = trim(line);  // transport padding after the boundary is allowed
  // Some cameras declare "--x" and write "--x"; the standard says declare "x", write "--x".
  for (const std::string_view b :
       {std::string_view(boundary_),
        std::string_view(boundary_).substr(boundary_.starts_with("--") ? 2 : 0)}) {
    const std::string delimiter = "--" + std::string(b);
    if (line == delimiter) {
      closing = false;
      return true;
    }
    if (line == delimiter + "--") {
      closing = true;
      return true;
    }
  }
  return false;
}

bool MjpegResponseReader::multipart() {
  for (;;) {
    const std::string_view avail = std::string_view(buf_).substr(pos_);
    if (part_ == Part::kData) {
      if (part_length_) {
        if (avail.size() < *part_length_) break;
        MjpegPart part;
        part.jpeg.assign(avail.begin(), avail.begin() + static_cast<std::ptrdiff_t>(*part_length_));
        part.sequence = part_sequence_;
        pos_ += *part_length_;
        part_ = Part::kPreamble;
        sink_(std::move(part));
        continue;
      }
      // No length: the part ends where the next boundary line starts.
      std::size_t found = std::string_view::npos;
      const std::size_t from = std::max(scanned_, pos_);
      for (const std::string_view b :
           {std::string_view(boundary_),
            std::string_view(boundary_).substr(boundary_.starts_with("--") ? 2 : 0)}) {
        const std::string needle = "\n--" + std::string(b);
        const std::size_t at = buf_.find(needle, from);
        if (at != std::string::npos) found = std::min(found, at);
      }
      if (found == std::string_view::npos) {
        if (avail.size() > kMaxPartBytes) {
          return fail("the server sent a part larger than 16 MiB without a Content-Length");
        }
        // The boundary may be split across reads: search again from a little before the end.
        const std::size_t keep = boundary_.size() + 4;
        scanned_ = buf_.size() > keep ? buf_.size() - keep : 0;
        break;
      }
      std::size_t end = found;
      if (end > pos_ && buf_[end - 1] == '\r') --end;
      MjpegPart part;
      part.jpeg.assign(buf_.begin() + static_cast<std::ptrdiff_t>(pos_),
                       buf_.begin() + static_cast<std::ptrdiff_t>(end));
      part.sequence = part_sequence_;
      pos_ = found + 1;
      part_ = Part::kPreamble;
      sink_(std::move(part));
      continue;
    }

    if (sniff_boundary_ && part_ == Part::kPreamble) {
      // Without a declared boundary the body must open with one: anything else is refused at
      // its first bytes rather than read for 64 KiB.
      const std::size_t first = avail.find_first_not_of("\r\n");
      if (first != std::string_view::npos &&
          (avail[first] != '-' || (avail.size() > first + 1 && avail[first + 1] != '-'))) {
        return not_mjpeg();
      }
    }
    const std::size_t nl = avail.find('\n');
    if (nl == std::string_view::npos) {
      if (avail.size() > kMaxPartHeaderLine) {
        if (part_ == Part::kHeaders) return fail("the server sent a part header line over 4 KiB");
        junk_ += avail.size();
        if (junk_ > kMaxJunkBytes || sniff_boundary_) {
          return not_mjpeg();
        }
        pos_ = buf_.size();
      }
      break;
    }
    // The bound holds for a whole line too: one that arrived with its newline in a single
    // read was never seen above without it.
    if (part_ == Part::kHeaders && nl > kMaxPartHeaderLine)
      return fail("the server sent a part header line over 4 KiB");
    const std::string_view line = trim(avail.substr(0, nl));
    pos_ += nl + 1;

    if (part_ == Part::kHeaders) {
      if (line.empty()) {
        part_ = Part::kData;
        scanned_ = pos_;
        continue;
      }
      if (++part_fields_ > kMaxPartHeaderFields)
        return fail("the server sent a part with over 64 header lines");
      std::string name;
      std::string_view value;
      if (!split_field(line, name, value))
        return fail("the server sent a malformed part header line");
      if (name == "content-length") {
        part_length_ = parse_decimal(value, kMaxPartBytes);
        if (!part_length_) {
          return fail("the server announced a part of '" + std::string(value) +
                      "' bytes; more than 16 MiB, or not a number");
        }
      } else if (name == "x-sequence") {
        part_sequence_ = parse_decimal(value, ~std::uint64_t{0} >> 1);
      }
      continue;
    }

    // Preamble: blank lines and padding until a boundary line.
    if (sniff_boundary_) {
      if (line.empty()) continue;
      if (!line.starts_with("--") || line.size() < 3 || line.size() > 202) {
        return not_mjpeg();
      }
      boundary_ = std::string(line.substr(2));
      sniff_boundary_ = false;
    }
    bool closing = false;
    if (delimiter_line(line, closing)) {
      if (closing) {
        ended_ = true;
        stage_ = Stage::kDone;
        return true;
      }
      part_ = Part::kHeaders;
      part_fields_ = 0;
      part_length_.reset();
      part_sequence_.reset();
      junk_ = 0;
      continue;
    }
    junk_ += nl + 1;
    if (junk_ > kMaxJunkBytes) {
      return fail("the server sent over 64 KiB without the boundary '--" + boundary_ +
                  "' it declared");
    }
  }
  compact();
  return true;
}

void MjpegResponseReader::compact() {
  if (pos_ == 0 || pos_ < buf_.size() / 2) return;
  buf_.erase(0, pos_);
  scanned_ = scanned_ > pos_ ? scanned_ - pos_ : 0;
  pos_ = 0;
}

bool MjpegResponseReader::finish() {
  if (stage_ == Stage::kFailed) return false;
  if (stage_ == Stage::kHead) return fail("the server closed the connection before answering");
  if (single_image_ && stage_ == Stage::kBody) {
    stage_ = Stage::kDone;
    if (buf_.empty()) return fail("the server sent an empty image");
    MjpegPart part;
    part.jpeg.assign(buf_.begin(), buf_.end());
    buf_.clear();
    sink_(std::move(part));
    return true;
  }
  stage_ = Stage::kDone;
  return true;
}

}  // namespace camstream
