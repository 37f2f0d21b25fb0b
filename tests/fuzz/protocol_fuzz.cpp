// protocol_fuzz.cpp - fuzzes every native-protocol decoder of both sides (shared/protocol).
//
// The same bytes go through each decoder: the daemon's (ClientHello, message header against
// kMaxControlPayload, Ping, Auth) and the viewer's (ServerHello, message header against
// kMaxFramePayload, Frame payload, Pong, AuthResult). Invariants beyond "no crash": whatever
// decodes re-encodes to exactly the bytes it came from; a length accepted never exceeds its bound;
// truncation is reported exactly when the input is shorter than the fixed size.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "shared/protocol.hpp"
#include "tests/fuzz/fuzz_check.hpp"

namespace {

namespace proto = camstream::proto;
using proto::Error;

template <typename Bytes>
bool encodes_to(const Bytes& encoded, std::span<const std::uint8_t> in, std::size_t offset = 0) {
  return in.size() >= encoded.size() - offset &&
         std::equal(encoded.begin() + static_cast<std::ptrdiff_t>(offset), encoded.end(),
                    in.begin());
}

void client_hello(std::span<const std::uint8_t> in) {
  proto::ClientHello hello;
  const Error e = proto::decode(in, hello);
  FUZZ_CHECK((e == Error::kTruncated) == (in.size() < proto::kClientHelloSize));
  // A version mismatch is decoded in full too, so that both versions can be named.
  if (e == Error::kNone || e == Error::kUnsupportedVersion) {
    FUZZ_CHECK(encodes_to(proto::encode(hello), in));
    FUZZ_CHECK((e == Error::kNone) ==
               (hello.version >= proto::kMinVersion && hello.version <= proto::kVersion));
  }
  if (e == Error::kNone) FUZZ_CHECK(hello.flags == 0);
}

void server_hello(std::span<const std::uint8_t> in) {
  proto::ServerHello hello;
  const Error e = proto::decode(in, hello);
  FUZZ_CHECK((e == Error::kTruncated) == (in.size() < proto::kServerHelloSize));
  if (e == Error::kNone || e == Error::kUnsupportedVersion) {
    FUZZ_CHECK(encodes_to(proto::encode(hello), in));
  }
  if (e == Error::kNone) {
    FUZZ_CHECK(hello.version == proto::kVersion &&
               (hello.status == proto::HelloStatus::kOk ||
                hello.status == proto::HelloStatus::kAuthRequired));
  }
}

// Returns whether the header decoded.
bool header(std::span<const std::uint8_t> in, std::uint32_t bound, proto::MessageHeader& out) {
  const Error e = proto::decode(in, out, bound);
  FUZZ_CHECK((e == Error::kTruncated) == (in.size() < proto::kMessageHeaderSize));
  if (e != Error::kNone) return false;
  FUZZ_CHECK(out.length <= bound);
  FUZZ_CHECK(encodes_to(proto::encode(out), in));
  switch (out.type) {
    case proto::MessageType::kFrame:
      FUZZ_CHECK(out.length >= proto::kFrameHeaderSize);
      break;
    case proto::MessageType::kPing:
      FUZZ_CHECK(out.length == proto::kPingPayloadSize);
      break;
    case proto::MessageType::kPong:
      FUZZ_CHECK(out.length == proto::kPongPayloadSize);
      break;
    case proto::MessageType::kAuth:
      FUZZ_CHECK(out.length == proto::kAuthPayloadSize);
      break;
    case proto::MessageType::kAuthResult:
      FUZZ_CHECK(out.length == proto::kAuthResultPayloadSize);
      break;
    case proto::MessageType::kListControls:
    case proto::MessageType::kRequestStill:
      FUZZ_CHECK(out.length == 0);
      break;
    case proto::MessageType::kSetControls:
      FUZZ_CHECK(out.length >= proto::kSetControlsPrefixSize);
      FUZZ_CHECK(out.length <= proto::kMaxViewerPayload);
      break;
    case proto::MessageType::kStill:
      FUZZ_CHECK(out.length >= proto::kFrameHeaderSize);
      break;
    case proto::MessageType::kControlsList:
    case proto::MessageType::kControlsResult:
    case proto::MessageType::kControlsChanged:
    case proto::MessageType::kStillError:
      FUZZ_CHECK(out.length <= proto::text_bound(out.type));
      break;
  }
  FUZZ_CHECK(out.length <= proto::payload_bound(out.type));
  return true;
}

void frame_payload(std::span<const std::uint8_t> in) {
  proto::FrameHeader frame;
  const Error e = proto::decode_frame_payload(in, frame);
  if (in.size() < proto::kFrameHeaderSize) FUZZ_CHECK(e == Error::kTruncated);
  if (e != Error::kNone) return;
  FUZZ_CHECK(frame.jpeg_size <= proto::kMaxJpegBytes);
  FUZZ_CHECK(in.size() == proto::kFrameHeaderSize + frame.jpeg_size);
  FUZZ_CHECK(frame.width >= 1 && frame.width <= proto::kMaxDimension);
  FUZZ_CHECK(frame.height >= 1 && frame.height <= proto::kMaxDimension);
  FUZZ_CHECK(static_cast<int>(frame.subsampling) <= static_cast<int>(proto::Subsampling::k411));
  // The daemon's prefix for this frame: its message header announces exactly these bytes,
  // and the viewer accepts it; its frame header is the input's.
  const proto::FramePrefixBytes prefix = proto::encode_frame_prefix(frame);
  FUZZ_CHECK(encodes_to(prefix, in, proto::kMessageHeaderSize));
  proto::MessageHeader announced;
  FUZZ_CHECK(proto::decode(std::span(prefix).first(proto::kMessageHeaderSize), announced,
                           proto::kMaxFramePayload) == Error::kNone);
  FUZZ_CHECK(announced.type == proto::MessageType::kFrame && announced.length == in.size());
}

void set_controls(std::span<const std::uint8_t> in) {
  proto::SetControls s;
  const Error e = proto::decode_set_controls_payload(in, s);
  if (in.size() < proto::kSetControlsPrefixSize) FUZZ_CHECK(e == Error::kTruncated);
  if (e != Error::kNone) return;
  FUZZ_CHECK(s.json.size() <= proto::kMaxJsonBytes);
  FUZZ_CHECK(s.json.find('\0') == std::string_view::npos);
  FUZZ_CHECK(encodes_to(proto::encode(s), in, proto::kMessageHeaderSize));
}

void text(proto::MessageType type, std::span<const std::uint8_t> in) {
  std::string_view t;
  const Error e = proto::decode_text_payload(type, in, t);
  if (in.size() > proto::text_bound(type)) FUZZ_CHECK(e == Error::kLengthOverBound);
  if (e != Error::kNone) return;
  FUZZ_CHECK(t.size() == in.size() && t.find('\0') == std::string_view::npos);
  const auto bytes = proto::encode_text_message(type, t);
  FUZZ_CHECK(encodes_to(bytes, in, proto::kMessageHeaderSize));
}

void ping(std::span<const std::uint8_t> in) {
  proto::Ping p;
  const Error e = proto::decode_ping_payload(in, p);
  FUZZ_CHECK((e == Error::kNone) == (in.size() == proto::kPingPayloadSize));
  if (e == Error::kNone) FUZZ_CHECK(encodes_to(proto::encode(p), in, proto::kMessageHeaderSize));
}

void pong(std::span<const std::uint8_t> in) {
  proto::Pong p;
  const Error e = proto::decode_pong_payload(in, p);
  FUZZ_CHECK((e == Error::kNone) == (in.size() == proto::kPongPayloadSize));
  if (e == Error::kNone) FUZZ_CHECK(encodes_to(proto::encode(p), in, proto::kMessageHeaderSize));
}

void auth(std::span<const std::uint8_t> in) {
  proto::Auth a;
  const Error e = proto::decode_auth_payload(in, a);
  FUZZ_CHECK((e == Error::kNone) == (in.size() == proto::kAuthPayloadSize));
  if (e == Error::kNone) FUZZ_CHECK(encodes_to(proto::encode(a), in, proto::kMessageHeaderSize));
}

void auth_result(std::span<const std::uint8_t> in) {
  proto::AuthResult r;
  const Error e = proto::decode_auth_result_payload(in, r);
  if (in.size() != proto::kAuthResultPayloadSize) FUZZ_CHECK(e != Error::kNone);
  if (e != Error::kNone) return;
  FUZZ_CHECK(encodes_to(proto::encode(r), in, proto::kMessageHeaderSize));
  // Accepted means a role; refused means none.
  FUZZ_CHECK((r.outcome == proto::AuthOutcome::kAccepted) == (r.role != proto::Role::kNone));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> in(data, size);
  client_hello(in);
  server_hello(in);
  proto::MessageHeader daemon_side;
  proto::MessageHeader viewer_side;
  const bool daemon_ok = header(in, proto::kMaxViewerPayload, daemon_side);
  const bool viewer_ok = header(in, proto::kMaxFramePayload, viewer_side);
  // A larger bound accepts whatever a smaller one does, and reads it the same.
  if (daemon_ok) FUZZ_CHECK(viewer_ok && viewer_side.length == daemon_side.length);
  // A whole message: the header, then the payload it announces, decoded by its type.
  if (viewer_ok && in.size() - proto::kMessageHeaderSize >= viewer_side.length) {
    const auto payload = in.subspan(proto::kMessageHeaderSize, viewer_side.length);
    switch (viewer_side.type) {
      case proto::MessageType::kFrame:
        frame_payload(payload);
        break;
      case proto::MessageType::kPing:
        ping(payload);
        break;
      case proto::MessageType::kPong:
        pong(payload);
        break;
      case proto::MessageType::kAuth:
        auth(payload);
        break;
      case proto::MessageType::kAuthResult:
        auth_result(payload);
        break;
      case proto::MessageType::kSetControls:
        set_controls(payload);
        break;
      case proto::MessageType::kStill:
        frame_payload(payload);
        break;
      case proto::MessageType::kControlsList:
      case proto::MessageType::kControlsResult:
      case proto::MessageType::kControlsChanged:
      case proto::MessageType::kStillError:
        text(viewer_side.type, payload);
        break;
      case proto::MessageType::kListControls:
      case proto::MessageType::kRequestStill:
        break;
    }
  }
  // And each payload decoder on the raw bytes, whatever they are.
  frame_payload(in);
  ping(in);
  pong(in);
  auth(in);
  auth_result(in);
  set_controls(in);
  text(proto::MessageType::kControlsChanged, in);
  text(proto::MessageType::kStillError, in);
  return 0;
}
