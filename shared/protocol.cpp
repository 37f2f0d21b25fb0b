// protocol.cpp - byte-level encoding and validation of the native camstream protocol.
#include "shared/protocol.hpp"

#include <algorithm>

#include "shared/crypto.hpp"

namespace camstream::proto {
namespace {

void put16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}

void put32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}

void put64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i)
    p[i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
}

std::uint16_t get16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

std::uint32_t get32(const std::uint8_t* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v = (v << 8) | p[i];
  return v;
}

std::uint64_t get64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v = (v << 8) | p[i];
  return v;
}

bool has_magic(const std::uint8_t* p) {
  return std::equal(kMagic.begin(), kMagic.end(), p);
}

void put_message_header(std::uint8_t* p, MessageType type, std::uint32_t length) {
  p[0] = static_cast<std::uint8_t>(type);
  p[1] = 0;
  put16(p + 2, 0);
  put32(p + 4, length);
}

}  // namespace

std::string_view describe(Error e) {
  switch (e) {
    case Error::kNone:
      return "no error";
    case Error::kTruncated:
      return "truncated message";
    case Error::kBadMagic:
      return "not the camstream protocol (bad magic)";
    case Error::kUnsupportedVersion:
      return "unsupported protocol version";
    case Error::kUnknownType:
      return "unknown message type";
    case Error::kUnexpectedType:
      return "message type not allowed in this direction";
    case Error::kLengthOverBound:
      return "message length over the protocol's bound";
    case Error::kBadLength:
      return "message length does not fit its type";
    case Error::kBadField:
      return "field out of range";
  }
  return "unknown error";
}

ClientHelloBytes encode(const ClientHello& hello) {
  ClientHelloBytes b{};
  std::copy(kMagic.begin(), kMagic.end(), b.begin());
  put16(&b[4], hello.version);
  put16(&b[6], hello.flags);
  return b;
}

ServerHelloBytes encode(const ServerHello& hello) {
  ServerHelloBytes b{};
  std::copy(kMagic.begin(), kMagic.end(), b.begin());
  put16(&b[4], hello.version);
  put16(&b[6], static_cast<std::uint16_t>(hello.status));
  put64(&b[8], hello.server_time_us);
  return b;
}

MessageHeaderBytes encode(const MessageHeader& header) {
  MessageHeaderBytes b{};
  put_message_header(b.data(), header.type, header.length);
  return b;
}

FramePrefixBytes encode_frame_prefix(const FrameHeader& frame) {
  FramePrefixBytes b{};
  put_message_header(b.data(), MessageType::kFrame,
                     static_cast<std::uint32_t>(kFrameHeaderSize) + frame.jpeg_size);
  std::uint8_t* p = b.data() + kMessageHeaderSize;
  put64(p, frame.seq);
  put64(p + 8, frame.capture_us);
  put16(p + 16, frame.width);
  put16(p + 18, frame.height);
  p[20] = static_cast<std::uint8_t>(frame.subsampling);
  p[21] = p[22] = p[23] = 0;
  put32(p + 24, frame.jpeg_size);
  return b;
}

std::array<std::uint8_t, kMessageHeaderSize + kPingPayloadSize> encode(const Ping& ping) {
  std::array<std::uint8_t, kMessageHeaderSize + kPingPayloadSize> b{};
  put_message_header(b.data(), MessageType::kPing, kPingPayloadSize);
  put64(&b[kMessageHeaderSize], ping.client_time_us);
  return b;
}

std::array<std::uint8_t, kMessageHeaderSize + kPongPayloadSize> encode(const Pong& pong) {
  std::array<std::uint8_t, kMessageHeaderSize + kPongPayloadSize> b{};
  put_message_header(b.data(), MessageType::kPong, kPongPayloadSize);
  put64(&b[kMessageHeaderSize], pong.client_time_us);
  put64(&b[kMessageHeaderSize + 8], pong.server_time_us);
  return b;
}

std::array<std::uint8_t, kMessageHeaderSize + kAuthPayloadSize> encode(const Auth& auth) {
  std::array<std::uint8_t, kMessageHeaderSize + kAuthPayloadSize> b{};
  put_message_header(b.data(), MessageType::kAuth, kAuthPayloadSize);
  std::copy(auth.proof.begin(), auth.proof.end(), b.begin() + kMessageHeaderSize);
  return b;
}

std::array<std::uint8_t, kMessageHeaderSize + kAuthResultPayloadSize> encode(
    const AuthResult& result) {
  std::array<std::uint8_t, kMessageHeaderSize + kAuthResultPayloadSize> b{};
  put_message_header(b.data(), MessageType::kAuthResult, kAuthResultPayloadSize);
  put16(&b[kMessageHeaderSize], static_cast<std::uint16_t>(result.outcome));
  put16(&b[kMessageHeaderSize + 2], static_cast<std::uint16_t>(result.role));
  return b;
}

std::vector<std::uint8_t> encode_text_message(MessageType type, std::string_view text) {
  std::vector<std::uint8_t> b(kMessageHeaderSize + text.size());
  put_message_header(b.data(), type, static_cast<std::uint32_t>(text.size()));
  std::copy(text.begin(), text.end(), b.begin() + kMessageHeaderSize);
  return b;
}

std::vector<std::uint8_t> encode(const SetControls& set) {
  std::vector<std::uint8_t> b(kMessageHeaderSize + kSetControlsPrefixSize + set.json.size());
  put_message_header(b.data(), MessageType::kSetControls,
                     static_cast<std::uint32_t>(kSetControlsPrefixSize + set.json.size()));
  put16(&b[kMessageHeaderSize], set.persist ? kSetPersist : 0);
  put16(&b[kMessageHeaderSize + 2], 0);
  std::copy(set.json.begin(), set.json.end(),
            b.begin() + kMessageHeaderSize + kSetControlsPrefixSize);
  return b;
}

std::array<std::uint8_t, kMessageHeaderSize> encode_empty(MessageType type) {
  std::array<std::uint8_t, kMessageHeaderSize> b{};
  put_message_header(b.data(), type, 0);
  return b;
}

FramePrefixBytes encode_still_prefix(const FrameHeader& frame) {
  FramePrefixBytes b = encode_frame_prefix(frame);
  b[0] = static_cast<std::uint8_t>(MessageType::kStill);
  return b;
}

std::array<std::uint8_t, kAuthPayloadSize> auth_proof(std::string_view token, const Nonce& nonce) {
  static constexpr std::string_view kLabel = "camstream auth v2";
  std::array<std::uint8_t, kLabel.size() + kNonceSize> message{};
  std::copy(kLabel.begin(), kLabel.end(), message.begin());
  std::copy(nonce.begin(), nonce.end(), message.begin() + kLabel.size());
  return crypto::hmac_sha256(crypto::bytes(token), message);
}

Error decode(std::span<const std::uint8_t> in, ClientHello& out) {
  if (in.size() < kClientHelloSize) return Error::kTruncated;
  if (!has_magic(in.data())) return Error::kBadMagic;
  out.version = get16(&in[4]);
  out.flags = get16(&in[6]);
  if (out.version < kMinVersion || out.version > kVersion) return Error::kUnsupportedVersion;
  if (out.flags != 0) return Error::kBadField;
  return Error::kNone;
}

Error decode(std::span<const std::uint8_t> in, ServerHello& out) {
  if (in.size() < kServerHelloSize) return Error::kTruncated;
  if (!has_magic(in.data())) return Error::kBadMagic;
  out.version = get16(&in[4]);
  const std::uint16_t status = get16(&in[6]);
  out.server_time_us = get64(&in[8]);
  if (status > static_cast<std::uint16_t>(HelloStatus::kAuthRequired)) return Error::kBadField;
  out.status = static_cast<HelloStatus>(status);
  if (out.version != kVersion || out.status == HelloStatus::kVersionMismatch) {
    return Error::kUnsupportedVersion;
  }
  return Error::kNone;
}

Error decode(std::span<const std::uint8_t> in, MessageHeader& out, std::uint32_t max_payload) {
  if (in.size() < kMessageHeaderSize) return Error::kTruncated;
  const std::uint8_t type = in[0];
  if (type < static_cast<std::uint8_t>(MessageType::kFrame) ||
      type > static_cast<std::uint8_t>(MessageType::kStillError)) {
    return Error::kUnknownType;
  }
  if (in[1] != 0 || get16(&in[2]) != 0) return Error::kBadField;
  out.type = static_cast<MessageType>(type);
  out.length = get32(&in[4]);
  if (out.length > max_payload) return Error::kLengthOverBound;
  switch (out.type) {
    case MessageType::kFrame:
      if (out.length < kFrameHeaderSize) return Error::kBadLength;
      break;
    case MessageType::kPing:
      if (out.length != kPingPayloadSize) return Error::kBadLength;
      break;
    case MessageType::kPong:
      if (out.length != kPongPayloadSize) return Error::kBadLength;
      break;
    case MessageType::kAuth:
      if (out.length != kAuthPayloadSize) return Error::kBadLength;
      break;
    case MessageType::kAuthResult:
      if (out.length != kAuthResultPayloadSize) return Error::kBadLength;
      break;
    case MessageType::kListControls:
    case MessageType::kRequestStill:
      if (out.length != 0) return Error::kBadLength;
      break;
    case MessageType::kSetControls:
      if (out.length < kSetControlsPrefixSize) return Error::kBadLength;
      if (out.length > payload_bound(out.type)) return Error::kLengthOverBound;
      break;
    case MessageType::kStill:
      if (out.length < kFrameHeaderSize) return Error::kBadLength;
      if (out.length > payload_bound(out.type)) return Error::kLengthOverBound;
      break;
    case MessageType::kControlsList:
    case MessageType::kControlsResult:
    case MessageType::kControlsChanged:
    case MessageType::kStillError:
      if (out.length > payload_bound(out.type)) return Error::kLengthOverBound;
      break;
  }
  return Error::kNone;
}

std::uint32_t payload_bound(MessageType type) {
  switch (type) {
    case MessageType::kFrame:
    case MessageType::kStill:
      return kMaxFramePayload;
    case MessageType::kPing:
      return kPingPayloadSize;
    case MessageType::kPong:
      return kPongPayloadSize;
    case MessageType::kAuth:
      return kAuthPayloadSize;
    case MessageType::kAuthResult:
      return kAuthResultPayloadSize;
    case MessageType::kListControls:
    case MessageType::kRequestStill:
      return 0;
    case MessageType::kSetControls:
      return kSetControlsPrefixSize + kMaxJsonBytes;
    case MessageType::kControlsList:
    case MessageType::kControlsResult:
    case MessageType::kControlsChanged:
    case MessageType::kStillError:
      return text_bound(type);
  }
  return 0;
}

std::uint32_t text_bound(MessageType type) {
  switch (type) {
    case MessageType::kSetControls:
    case MessageType::kControlsList:
    case MessageType::kControlsResult:
    case MessageType::kControlsChanged:
      return kMaxJsonBytes;
    case MessageType::kStillError:
      return kMaxTextBytes;
    default:
      return 0;
  }
}

Error decode_frame_payload(std::span<const std::uint8_t> in, FrameHeader& out) {
  if (in.size() < kFrameHeaderSize) return Error::kTruncated;
  const std::uint8_t* p = in.data();
  out.seq = get64(p);
  out.capture_us = get64(p + 8);
  out.width = get16(p + 16);
  out.height = get16(p + 18);
  const std::uint8_t sub = p[20];
  out.jpeg_size = get32(p + 24);
  if (p[21] != 0 || p[22] != 0 || p[23] != 0) return Error::kBadField;
  if (sub > static_cast<std::uint8_t>(Subsampling::k411)) return Error::kBadField;
  out.subsampling = static_cast<Subsampling>(sub);
  if (out.width == 0 || out.height == 0 || out.width > kMaxDimension ||
      out.height > kMaxDimension) {
    return Error::kBadField;
  }
  if (out.jpeg_size > kMaxJpegBytes) return Error::kLengthOverBound;
  if (in.size() - kFrameHeaderSize < out.jpeg_size) return Error::kTruncated;
  if (in.size() - kFrameHeaderSize > out.jpeg_size) return Error::kBadLength;
  return Error::kNone;
}

Error decode_ping_payload(std::span<const std::uint8_t> in, Ping& out) {
  if (in.size() < kPingPayloadSize) return Error::kTruncated;
  if (in.size() > kPingPayloadSize) return Error::kBadLength;
  out.client_time_us = get64(in.data());
  return Error::kNone;
}

Error decode_pong_payload(std::span<const std::uint8_t> in, Pong& out) {
  if (in.size() < kPongPayloadSize) return Error::kTruncated;
  if (in.size() > kPongPayloadSize) return Error::kBadLength;
  out.client_time_us = get64(in.data());
  out.server_time_us = get64(in.data() + 8);
  return Error::kNone;
}

Error decode_auth_payload(std::span<const std::uint8_t> in, Auth& out) {
  if (in.size() < kAuthPayloadSize) return Error::kTruncated;
  if (in.size() > kAuthPayloadSize) return Error::kBadLength;
  std::copy(in.begin(), in.end(), out.proof.begin());
  return Error::kNone;
}

Error decode_auth_result_payload(std::span<const std::uint8_t> in, AuthResult& out) {
  if (in.size() < kAuthResultPayloadSize) return Error::kTruncated;
  if (in.size() > kAuthResultPayloadSize) return Error::kBadLength;
  const std::uint16_t outcome = get16(in.data());
  const std::uint16_t role = get16(in.data() + 2);
  if (outcome > static_cast<std::uint16_t>(AuthOutcome::kRefused) ||
      role > static_cast<std::uint16_t>(Role::kControl)) {
    return Error::kBadField;
  }
  out.outcome = static_cast<AuthOutcome>(outcome);
  out.role = static_cast<Role>(role);
  // An accepted client has a role; a refused one has none.
  if ((out.outcome == AuthOutcome::kAccepted) == (out.role == Role::kNone)) return Error::kBadField;
  return Error::kNone;
}

Error decode_set_controls_payload(std::span<const std::uint8_t> in, SetControls& out) {
  if (in.size() < kSetControlsPrefixSize) return Error::kTruncated;
  if (in.size() - kSetControlsPrefixSize > kMaxJsonBytes) return Error::kLengthOverBound;
  const std::uint16_t flags = get16(in.data());
  if ((flags & ~kSetPersist) != 0 || get16(in.data() + 2) != 0) return Error::kBadField;
  out.persist = (flags & kSetPersist) != 0;
  const std::span<const std::uint8_t> text = in.subspan(kSetControlsPrefixSize);
  if (std::find(text.begin(), text.end(), 0) != text.end()) return Error::kBadField;
  out.json = std::string_view(reinterpret_cast<const char*>(text.data()), text.size());
  return Error::kNone;
}

Error decode_text_payload(MessageType type, std::span<const std::uint8_t> in,
                          std::string_view& out) {
  if (in.size() > text_bound(type)) return Error::kLengthOverBound;
  if (std::find(in.begin(), in.end(), 0) != in.end()) return Error::kBadField;
  out = std::string_view(reinterpret_cast<const char*>(in.data()), in.size());
  return Error::kNone;
}

}  // namespace camstream::proto
