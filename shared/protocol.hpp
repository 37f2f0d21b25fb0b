// protocol.hpp - the native camstream wire protocol: sizes, bounds, encoders and decoders.
//
// docs/protocol.md is the specification; this file is its only implementation. Every decoder
// checks a buffer's length before it reads and every length field against a stated bound
// before anyone allocates for it. All integers are big-endian.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace camstream::proto {

inline constexpr std::array<std::uint8_t, 4> kMagic{'C', 'A', 'M', 'S'};
// Version 2 added the token check (HelloStatus::kAuthRequired, Auth, AuthResult); version 3
// the controls and the full-size still (ListControls ... StillError). A daemon also accepts a
// hello of any version from kMinVersion and answers it in that version; the viewer speaks
// kVersion only.
inline constexpr std::uint16_t kVersion = 3;
inline constexpr std::uint16_t kMinVersion = 2;

inline constexpr std::size_t kClientHelloSize = 8;        // magic, version, flags
inline constexpr std::size_t kServerHelloSize = 16;       // magic, version, status, server time
inline constexpr std::size_t kMessageHeaderSize = 8;      // type, flags, reserved, payload length
inline constexpr std::size_t kFrameHeaderSize = 28;       // first bytes of a Frame payload
inline constexpr std::size_t kPingPayloadSize = 8;        // client time
inline constexpr std::size_t kPongPayloadSize = 16;       // client time echoed, server time
inline constexpr std::size_t kNonceSize = 32;             // follows a kAuthRequired ServerHello
inline constexpr std::size_t kAuthPayloadSize = 32;       // the viewer's proof of its token
inline constexpr std::size_t kAuthResultPayloadSize = 4;  // outcome, role
inline constexpr std::size_t kSetControlsPrefixSize = 4;  // flags, reserved; the JSON follows

// Bounds. A peer that announces more is speaking nonsense and is disconnected.
inline constexpr std::uint32_t kMaxJpegBytes = 16u * 1024 * 1024;
inline constexpr std::uint32_t kMaxFramePayload = kFrameHeaderSize + kMaxJpegBytes;
inline constexpr std::uint32_t kMaxControlPayload = 64;  // a fixed-size viewer message
// The JSON of a SetControls, ControlsList, ControlsResult or ControlsChanged message, and the
// sentence of a StillError.
inline constexpr std::uint32_t kMaxJsonBytes = 64u * 1024;
inline constexpr std::uint32_t kMaxTextBytes = 1024;
// Anything the viewer may send: the daemon's bound for a message header.
inline constexpr std::uint32_t kMaxViewerPayload = kSetControlsPrefixSize + kMaxJsonBytes;
inline constexpr std::uint16_t kMaxDimension = 8192;

enum class MessageType : std::uint8_t {
  kFrame = 1,       // daemon -> viewer
  kPing = 2,        // viewer -> daemon
  kPong = 3,        // daemon -> viewer
  kAuth = 4,        // viewer -> daemon, once, after a kAuthRequired hello
  kAuthResult = 5,  // daemon -> viewer, the answer to kAuth
  // Version 3:
  kListControls = 6,      // viewer -> daemon, empty: send the list and then every change
  kSetControls = 7,       // viewer -> daemon, flags + JSON object {"NAME": value, ...}
  kRequestStill = 8,      // viewer -> daemon, empty: a still at the camera's full size
  kControlsList = 9,      // daemon -> viewer, JSON {"controls": [...], "still": {...}}
  kControlsResult = 10,   // daemon -> viewer, JSON {"applied": {...}, "refused": {...}}
  kControlsChanged = 11,  // daemon -> viewer, JSON {"NAME": value, ...}, changed by anyone
  kStill = 12,            // daemon -> viewer, laid out as a Frame: frame header + JPEG
  kStillError = 13,       // daemon -> viewer, UTF-8 sentence: why no still comes
};

// SetControls flags.
inline constexpr std::uint16_t kSetPersist = 1;  // also save to the config file

enum class HelloStatus : std::uint16_t {
  kOk = 0,
  kVersionMismatch = 1,  // the daemon closes after saying so
  kAuthRequired = 2,     // a nonce follows; the viewer must send Auth before anything else
};

// What a client may do: watch (stream, snapshot, status), or also steer the camera.
enum class Role : std::uint16_t {
  kNone = 0,
  kView = 1,
  kControl = 2,
};

enum class AuthOutcome : std::uint16_t {
  kAccepted = 0,
  kRefused = 1,  // the daemon closes after saying so
};

// JPEG chroma subsampling, numbered as TurboJPEG's TJSAMP values.
enum class Subsampling : std::uint8_t {
  k444 = 0,
  k422 = 1,
  k420 = 2,
  kGray = 3,
  k440 = 4,
  k411 = 5,
};

enum class Error {
  kNone,
  kTruncated,           // fewer bytes than the message needs
  kBadMagic,            // not the camstream protocol at all
  kUnsupportedVersion,  // camstream, but another protocol version
  kUnknownType,         // a message type this version does not define
  kUnexpectedType,      // a defined type sent in the wrong direction
  kLengthOverBound,     // a length field larger than the stated bound
  kBadLength,           // a length that does not fit the message type
  kBadField,            // a reserved field not zero, a size or enum out of range
};

std::string_view describe(Error e);

struct ClientHello {
  std::uint16_t version = kVersion;
  std::uint16_t flags = 0;
};

struct ServerHello {
  std::uint16_t version = kVersion;
  HelloStatus status = HelloStatus::kOk;
  std::uint64_t server_time_us = 0;  // the daemon's monotonic clock when it answered
};

struct MessageHeader {
  MessageType type = MessageType::kFrame;
  std::uint32_t length = 0;  // payload bytes that follow this header
};

struct FrameHeader {
  std::uint64_t seq = 0;         // capture sequence number; increases along a stream
  std::uint64_t capture_us = 0;  // capture time, daemon's CLOCK_MONOTONIC, microseconds
  std::uint16_t width = 0;
  std::uint16_t height = 0;
  Subsampling subsampling = Subsampling::k420;
  std::uint32_t jpeg_size = 0;  // JPEG bytes after this header; payload = header + JPEG
};

using Nonce = std::array<std::uint8_t, kNonceSize>;

struct Auth {
  std::array<std::uint8_t, kAuthPayloadSize> proof{};  // auth_proof(token, nonce)
};

struct AuthResult {
  AuthOutcome outcome = AuthOutcome::kRefused;
  Role role = Role::kNone;
};

struct Ping {
  std::uint64_t client_time_us = 0;
};

struct Pong {
  std::uint64_t client_time_us = 0;
  std::uint64_t server_time_us = 0;
};

struct SetControls {
  bool persist = false;
  std::string_view json;  // the object's text; points into the decoded buffer
};

using ClientHelloBytes = std::array<std::uint8_t, kClientHelloSize>;
using ServerHelloBytes = std::array<std::uint8_t, kServerHelloSize>;
using MessageHeaderBytes = std::array<std::uint8_t, kMessageHeaderSize>;
// A Frame message's header and frame header together: all that precedes the JPEG bytes.
using FramePrefixBytes = std::array<std::uint8_t, kMessageHeaderSize + kFrameHeaderSize>;

ClientHelloBytes encode(const ClientHello& hello);
ServerHelloBytes encode(const ServerHello& hello);
MessageHeaderBytes encode(const MessageHeader& header);
FramePrefixBytes encode_frame_prefix(const FrameHeader& frame);
std::array<std::uint8_t, kMessageHeaderSize + kPingPayloadSize> encode(const Ping& ping);
std::array<std::uint8_t, kMessageHeaderSize + kPongPayloadSize> encode(const Pong& pong);
std::array<std::uint8_t, kMessageHeaderSize + kAuthPayloadSize> encode(const Auth& auth);
std::array<std::uint8_t, kMessageHeaderSize + kAuthResultPayloadSize> encode(
    const AuthResult& result);

// A message whose payload is bytes of text (JSON, or a StillError's sentence): header + text.
// The caller keeps `text` within the type's bound (text_bound()).
std::vector<std::uint8_t> encode_text_message(MessageType type, std::string_view text);
std::vector<std::uint8_t> encode(const SetControls& set);
std::array<std::uint8_t, kMessageHeaderSize> encode_empty(MessageType type);
// A Still message's header and frame header: all that precedes its JPEG.
FramePrefixBytes encode_still_prefix(const FrameHeader& frame);
// The largest text a message of this type carries: kMaxJsonBytes, kMaxTextBytes, or 0 for a
// type that carries none.
std::uint32_t text_bound(MessageType type);

// The proof of a token for one connection: HMAC-SHA256 keyed with the token over
// "camstream auth v2" and the daemon's nonce. The token itself never crosses the wire.
std::array<std::uint8_t, kAuthPayloadSize> auth_proof(std::string_view token, const Nonce& nonce);

// Decoders fill `out` and return kNone, or return the first error found. A hello whose
// version differs from kVersion is still decoded in full and returns kUnsupportedVersion, so
// that the caller can name both versions in its message.
Error decode(std::span<const std::uint8_t> in, ClientHello& out);
Error decode(std::span<const std::uint8_t> in, ServerHello& out);

// `max_payload` is the bound for the direction the header travels: kMaxFramePayload on the
// viewer, kMaxControlPayload on the daemon.
Error decode(std::span<const std::uint8_t> in, MessageHeader& out, std::uint32_t max_payload);

// The largest length a header of this type may announce, before the receiver's own bound.
std::uint32_t payload_bound(MessageType type);

// `in` is the whole payload of a Frame (or Still) message; the JPEG is the last jpeg_size bytes.
Error decode_frame_payload(std::span<const std::uint8_t> in, FrameHeader& out);
Error decode_ping_payload(std::span<const std::uint8_t> in, Ping& out);
Error decode_pong_payload(std::span<const std::uint8_t> in, Pong& out);
Error decode_auth_payload(std::span<const std::uint8_t> in, Auth& out);
Error decode_auth_result_payload(std::span<const std::uint8_t> in, AuthResult& out);
// A SetControls payload: flags (only kSetPersist), reserved zero, then the JSON's text (at
// most kMaxJsonBytes; not parsed here). `out.json` points into `in`.
Error decode_set_controls_payload(std::span<const std::uint8_t> in, SetControls& out);
// The payload of a text-carrying message: at most text_bound(type) bytes (else
// kLengthOverBound), and no NUL byte (kBadField). `out` points into `in`.
Error decode_text_payload(MessageType type, std::span<const std::uint8_t> in,
                          std::string_view& out);

}  // namespace camstream::proto
