// protocol_test.cpp - the native wire format: every message round-trips, every malformation is
// named.
#include "shared/protocol.hpp"

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "shared/crypto.hpp"

namespace camstream::proto {
namespace {

// A whole Frame message (header, frame header, JPEG) with `jpeg_size` bytes of JPEG.
std::vector<std::uint8_t> frame_message(const FrameHeader& frame) {
  const FramePrefixBytes prefix = encode_frame_prefix(frame);
  std::vector<std::uint8_t> bytes(prefix.begin(), prefix.end());
  for (std::uint32_t i = 0; i < frame.jpeg_size; ++i) {
    bytes.push_back(static_cast<std::uint8_t>(i * 7 + 1));
  }
  return bytes;
}

// The Frame message's payload: everything after the message header.
std::vector<std::uint8_t> frame_payload(const FrameHeader& frame) {
  const auto bytes = frame_message(frame);
  return {bytes.begin() + kMessageHeaderSize, bytes.end()};
}

FrameHeader sample_frame() {
  FrameHeader f;
  f.seq = 0x0102030405060708ull;
  f.capture_us = 0xF0E0D0C0B0A09080ull;
  f.width = 1280;
  f.height = 720;
  f.subsampling = Subsampling::k420;
  f.jpeg_size = 100;
  return f;
}

// Fixed offsets inside a Frame payload (docs/protocol.md).
constexpr std::size_t kWidthAt = 16;
constexpr std::size_t kHeightAt = 18;
constexpr std::size_t kSubsamplingAt = 20;
constexpr std::size_t kJpegSizeAt = 24;

void put16(std::vector<std::uint8_t>& b, std::size_t at, std::uint16_t v) {
  b[at] = static_cast<std::uint8_t>(v >> 8);
  b[at + 1] = static_cast<std::uint8_t>(v);
}

void put32(std::span<std::uint8_t> b, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i)
    b[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
}

// ---- round trips ---------------------------------------------------------------------------

TEST(ProtocolRoundTrip, ClientHello) {
  const auto bytes = encode(ClientHello{});
  ASSERT_EQ(bytes.size(), kClientHelloSize);
  EXPECT_EQ(bytes[0], 'C');
  EXPECT_EQ(bytes[3], 'S');
  ClientHello out{0, 0};
  EXPECT_EQ(decode(bytes, out), Error::kNone);
  EXPECT_EQ(out.version, kVersion);
  EXPECT_EQ(out.flags, 0);
}

TEST(ProtocolRoundTrip, ServerHello) {
  const ServerHello in{kVersion, HelloStatus::kOk, 0x1122334455667788ull};
  const auto bytes = encode(in);
  ASSERT_EQ(bytes.size(), kServerHelloSize);
  ServerHello out{0, HelloStatus::kVersionMismatch, 0};
  EXPECT_EQ(decode(bytes, out), Error::kNone);
  EXPECT_EQ(out.version, kVersion);
  EXPECT_EQ(out.status, HelloStatus::kOk);
  EXPECT_EQ(out.server_time_us, 0x1122334455667788ull);
}

TEST(ProtocolRoundTrip, ServerHelloVersionMismatchKeepsFields) {
  const auto bytes = encode(ServerHello{kVersion, HelloStatus::kVersionMismatch, 42});
  ServerHello out;
  EXPECT_EQ(decode(bytes, out), Error::kUnsupportedVersion);
  EXPECT_EQ(out.status, HelloStatus::kVersionMismatch);
  EXPECT_EQ(out.version, kVersion);
  EXPECT_EQ(out.server_time_us, 42u);
}

TEST(ProtocolRoundTrip, MessageHeaderEveryType) {
  const struct {
    MessageType type;
    std::uint32_t length;
  } cases[] = {{MessageType::kFrame, kFrameHeaderSize + 12345},
               {MessageType::kPing, kPingPayloadSize},
               {MessageType::kPong, kPongPayloadSize},
               {MessageType::kAuth, kAuthPayloadSize},
               {MessageType::kAuthResult, kAuthResultPayloadSize}};
  for (const auto& c : cases) {
    const auto bytes = encode(MessageHeader{c.type, c.length});
    ASSERT_EQ(bytes.size(), kMessageHeaderSize);
    MessageHeader out;
    EXPECT_EQ(decode(bytes, out, kMaxFramePayload), Error::kNone);
    EXPECT_EQ(out.type, c.type);
    EXPECT_EQ(out.length, c.length);
  }
}

TEST(ProtocolRoundTrip, FramePrefixAndPayload) {
  const FrameHeader in = sample_frame();
  const auto bytes = frame_message(in);
  ASSERT_EQ(bytes.size(), kMessageHeaderSize + kFrameHeaderSize + in.jpeg_size);

  MessageHeader header;
  ASSERT_EQ(decode(std::span(bytes).first(kMessageHeaderSize), header, kMaxFramePayload),
            Error::kNone);
  EXPECT_EQ(header.type, MessageType::kFrame);
  EXPECT_EQ(header.length, kFrameHeaderSize + in.jpeg_size);

  FrameHeader out;
  const auto payload = std::span(bytes).subspan(kMessageHeaderSize);
  ASSERT_EQ(payload.size(), header.length);
  ASSERT_EQ(decode_frame_payload(payload, out), Error::kNone);
  EXPECT_EQ(out.seq, in.seq);
  EXPECT_EQ(out.capture_us, in.capture_us);
  EXPECT_EQ(out.width, in.width);
  EXPECT_EQ(out.height, in.height);
  EXPECT_EQ(out.subsampling, in.subsampling);
  EXPECT_EQ(out.jpeg_size, in.jpeg_size);
  // The JPEG is the payload's tail, untouched.
  EXPECT_EQ(payload[kFrameHeaderSize], 1);
  EXPECT_EQ(payload[kFrameHeaderSize + 1], 8);
}

TEST(ProtocolRoundTrip, FrameEverySubsamplingAndExtremeSizes) {
  for (int sub = 0; sub <= static_cast<int>(Subsampling::k411); ++sub) {
    FrameHeader in = sample_frame();
    in.subsampling = static_cast<Subsampling>(sub);
    in.width = sub % 2 == 0 ? 1 : kMaxDimension;
    in.height = sub % 2 == 0 ? kMaxDimension : 1;
    in.jpeg_size = 0;
    FrameHeader out;
    EXPECT_EQ(decode_frame_payload(frame_payload(in), out), Error::kNone) << "subsampling " << sub;
    EXPECT_EQ(out.subsampling, in.subsampling);
    EXPECT_EQ(out.width, in.width);
    EXPECT_EQ(out.height, in.height);
  }
}

TEST(ProtocolRoundTrip, Ping) {
  const auto bytes = encode(Ping{0xA1B2C3D4E5F60718ull});
  MessageHeader header;
  ASSERT_EQ(decode(std::span(bytes).first(kMessageHeaderSize), header, kMaxControlPayload),
            Error::kNone);
  EXPECT_EQ(header.type, MessageType::kPing);
  EXPECT_EQ(header.length, kPingPayloadSize);
  Ping out;
  ASSERT_EQ(decode_ping_payload(std::span(bytes).subspan(kMessageHeaderSize), out), Error::kNone);
  EXPECT_EQ(out.client_time_us, 0xA1B2C3D4E5F60718ull);
}

TEST(ProtocolRoundTrip, Pong) {
  const auto bytes = encode(Pong{123456789, 0xFFFFFFFFFFFFFFFEull});
  MessageHeader header;
  ASSERT_EQ(decode(std::span(bytes).first(kMessageHeaderSize), header, kMaxFramePayload),
            Error::kNone);
  EXPECT_EQ(header.type, MessageType::kPong);
  EXPECT_EQ(header.length, kPongPayloadSize);
  Pong out;
  ASSERT_EQ(decode_pong_payload(std::span(bytes).subspan(kMessageHeaderSize), out), Error::kNone);
  EXPECT_EQ(out.client_time_us, 123456789u);
  EXPECT_EQ(out.server_time_us, 0xFFFFFFFFFFFFFFFEull);
}

TEST(ProtocolRoundTrip, BigEndianOnTheWire) {
  const auto hello = encode(ClientHello{0x0102, 0});
  EXPECT_EQ(hello[4], 0x01);
  EXPECT_EQ(hello[5], 0x02);
  const auto header = encode(MessageHeader{MessageType::kFrame, 0x0A0B0C0D});
  EXPECT_EQ(header[0], 1);
  EXPECT_EQ(header[4], 0x0A);
  EXPECT_EQ(header[7], 0x0D);
}

// ---- bad magic and version -----------------------------------------------------------------

TEST(ProtocolReject, BadMagic) {
  for (std::size_t i = 0; i < kMagic.size(); ++i) {
    auto client = encode(ClientHello{});
    client[i] ^= 0x20;
    ClientHello c;
    EXPECT_EQ(decode(client, c), Error::kBadMagic) << "byte " << i;
    auto server = encode(ServerHello{});
    server[i] ^= 0x20;
    ServerHello s;
    EXPECT_EQ(decode(server, s), Error::kBadMagic) << "byte " << i;
  }
  const std::uint8_t http[] = {'G', 'E', 'T', ' ', '/', ' ', 'H', 'T'};
  ClientHello c;
  EXPECT_EQ(decode(http, c), Error::kBadMagic);
}

TEST(ProtocolReject, UnknownVersionReportsIt) {
  for (const std::uint16_t version :
       {std::uint16_t{0}, std::uint16_t{1}, std::uint16_t{4}, std::uint16_t{0xFFFF}}) {
    ClientHello c;
    EXPECT_EQ(decode(encode(ClientHello{version, 0}), c), Error::kUnsupportedVersion);
    EXPECT_EQ(c.version, version);
    ServerHello s;
    EXPECT_EQ(decode(encode(ServerHello{version, HelloStatus::kOk, 7}), s),
              Error::kUnsupportedVersion);
    EXPECT_EQ(s.version, version);
  }
}

TEST(ProtocolVersion, TheDaemonTakesAVersion2HelloTheViewerOnlyItsOwn) {
  static_assert(kVersion == 3 && kMinVersion == 2);
  ClientHello c;
  EXPECT_EQ(decode(encode(ClientHello{2, 0}), c), Error::kNone);
  EXPECT_EQ(c.version, 2);
  EXPECT_EQ(decode(encode(ClientHello{3, 0}), c), Error::kNone);
  EXPECT_EQ(c.version, 3);
  // camview speaks version 3 only: an older daemon's answer names its version.
  ServerHello s;
  EXPECT_EQ(decode(encode(ServerHello{2, HelloStatus::kOk, 7}), s), Error::kUnsupportedVersion);
  EXPECT_EQ(s.version, 2);
}

TEST(ProtocolReject, HelloReservedAndStatusFields) {
  ClientHello c;
  EXPECT_EQ(decode(encode(ClientHello{kVersion, 1}), c), Error::kBadField);
  auto server = encode(ServerHello{});
  server[7] = 3;  // status beyond kAuthRequired
  ServerHello s;
  EXPECT_EQ(decode(server, s), Error::kBadField);
}

// ---- truncation, at every length short of the whole ----------------------------------------

TEST(ProtocolReject, TruncatedClientHello) {
  const auto bytes = encode(ClientHello{});
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    ClientHello out;
    EXPECT_EQ(decode(std::span(bytes).first(n), out), Error::kTruncated) << n << " bytes";
  }
}

TEST(ProtocolReject, TruncatedServerHello) {
  const auto bytes = encode(ServerHello{});
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    ServerHello out;
    EXPECT_EQ(decode(std::span(bytes).first(n), out), Error::kTruncated) << n << " bytes";
  }
}

TEST(ProtocolReject, TruncatedMessageHeader) {
  const auto bytes = encode(MessageHeader{MessageType::kPing, kPingPayloadSize});
  for (std::size_t n = 0; n < bytes.size(); ++n) {
    MessageHeader out;
    EXPECT_EQ(decode(std::span(bytes).first(n), out, kMaxControlPayload), Error::kTruncated)
        << n << " bytes";
  }
}

TEST(ProtocolReject, TruncatedFramePayload) {
  const auto payload = frame_payload(sample_frame());
  for (std::size_t n = 0; n < payload.size(); ++n) {
    FrameHeader out;
    EXPECT_EQ(decode_frame_payload(std::span(payload).first(n), out), Error::kTruncated)
        << n << " bytes";
  }
}

TEST(ProtocolReject, TruncatedPingAndPongPayloads) {
  const auto ping = encode(Ping{1});
  const auto ping_payload = std::span(ping).subspan(kMessageHeaderSize);
  for (std::size_t n = 0; n < ping_payload.size(); ++n) {
    Ping out;
    EXPECT_EQ(decode_ping_payload(ping_payload.first(n), out), Error::kTruncated) << n;
  }
  const auto pong = encode(Pong{1, 2});
  const auto pong_payload = std::span(pong).subspan(kMessageHeaderSize);
  for (std::size_t n = 0; n < pong_payload.size(); ++n) {
    Pong out;
    EXPECT_EQ(decode_pong_payload(pong_payload.first(n), out), Error::kTruncated) << n;
  }
}

// ---- message header: type, reserved fields, lengths ----------------------------------------

TEST(ProtocolReject, UnknownType) {
  for (int type = 0; type < 256; ++type) {
    if (type >= 1 && type <= 13) continue;
    auto bytes = encode(MessageHeader{MessageType::kPing, kPingPayloadSize});
    bytes[0] = static_cast<std::uint8_t>(type);
    MessageHeader out;
    EXPECT_EQ(decode(bytes, out, kMaxFramePayload), Error::kUnknownType) << "type " << type;
  }
}

TEST(ProtocolReject, NonzeroReservedHeaderFields) {
  for (std::size_t at = 1; at < 4; ++at) {
    auto bytes = encode(MessageHeader{MessageType::kPing, kPingPayloadSize});
    bytes[at] = 0x80;
    MessageHeader out;
    EXPECT_EQ(decode(bytes, out, kMaxControlPayload), Error::kBadField) << "byte " << at;
  }
}

TEST(ProtocolReject, BadLengthForType) {
  const struct {
    MessageType type;
    std::uint32_t length;
  } cases[] = {
      {MessageType::kPing, 0},
      {MessageType::kPing, kPingPayloadSize - 1},
      {MessageType::kPing, kPingPayloadSize + 1},
      {MessageType::kPong, kPongPayloadSize - 1},
      {MessageType::kPong, kPongPayloadSize + 1},
      {MessageType::kFrame, 0},
      {MessageType::kFrame, kFrameHeaderSize - 1},
      {MessageType::kAuth, kAuthPayloadSize - 1},
      {MessageType::kAuth, kAuthPayloadSize + 1},
      {MessageType::kAuthResult, kAuthResultPayloadSize + 1},
  };
  for (const auto& c : cases) {
    MessageHeader out;
    EXPECT_EQ(decode(encode(MessageHeader{c.type, c.length}), out, kMaxFramePayload),
              Error::kBadLength)
        << "type " << static_cast<int>(c.type) << " length " << c.length;
  }
  // Payload decoders agree: a ping or pong payload longer than its type is a bad length.
  const std::vector<std::uint8_t> nine(kPingPayloadSize + 1);
  Ping ping;
  EXPECT_EQ(decode_ping_payload(nine, ping), Error::kBadLength);
  const std::vector<std::uint8_t> seventeen(kPongPayloadSize + 1);
  Pong pong;
  EXPECT_EQ(decode_pong_payload(seventeen, pong), Error::kBadLength);
}

TEST(ProtocolReject, LengthOverControlBoundOnTheDaemon) {
  MessageHeader out;
  // At the bound a ping passes the bound check and then fails its type's exact length...
  EXPECT_EQ(decode(encode(MessageHeader{MessageType::kPing, kMaxControlPayload}), out,
                   kMaxControlPayload),
            Error::kBadLength);
  // ...one byte more is over it, whatever the type.
  for (const MessageType type : {MessageType::kPing, MessageType::kPong, MessageType::kFrame}) {
    EXPECT_EQ(decode(encode(MessageHeader{type, kMaxControlPayload + 1}), out, kMaxControlPayload),
              Error::kLengthOverBound);
    EXPECT_EQ(decode(encode(MessageHeader{type, 0xFFFFFFFFu}), out, kMaxControlPayload),
              Error::kLengthOverBound);
  }
  // A frame header of ordinary size is far over the daemon's bound.
  EXPECT_EQ(decode(encode(MessageHeader{MessageType::kFrame, kFrameHeaderSize + 1000}), out,
                   kMaxControlPayload),
            Error::kLengthOverBound);
}

TEST(ProtocolReject, LengthOverFrameBoundOnTheViewer) {
  MessageHeader out;
  EXPECT_EQ(
      decode(encode(MessageHeader{MessageType::kFrame, kMaxFramePayload}), out, kMaxFramePayload),
      Error::kNone);
  EXPECT_EQ(out.length, kMaxFramePayload);
  EXPECT_EQ(decode(encode(MessageHeader{MessageType::kFrame, kMaxFramePayload + 1}), out,
                   kMaxFramePayload),
            Error::kLengthOverBound);
  EXPECT_EQ(decode(encode(MessageHeader{MessageType::kFrame, 0xFFFFFFFFu}), out, kMaxFramePayload),
            Error::kLengthOverBound);
}

// ---- frame payload fields ------------------------------------------------------------------

TEST(ProtocolReject, JpegSizeOverBound) {
  FrameHeader f = sample_frame();
  f.jpeg_size = 0;
  auto payload = frame_payload(f);
  put32(payload, kJpegSizeAt, kMaxJpegBytes + 1);
  FrameHeader out;
  EXPECT_EQ(decode_frame_payload(payload, out), Error::kLengthOverBound);
  put32(payload, kJpegSizeAt, 0xFFFFFFFFu);
  EXPECT_EQ(decode_frame_payload(payload, out), Error::kLengthOverBound);
  // At the bound it is only short of bytes, not over the bound.
  put32(payload, kJpegSizeAt, kMaxJpegBytes);
  EXPECT_EQ(decode_frame_payload(payload, out), Error::kTruncated);
}

TEST(ProtocolReject, FrameReservedBytes) {
  for (std::size_t at = 21; at < 24; ++at) {
    auto payload = frame_payload(sample_frame());
    payload[at] = 1;
    FrameHeader out;
    EXPECT_EQ(decode_frame_payload(payload, out), Error::kBadField) << "byte " << at;
  }
}

TEST(ProtocolReject, FrameDimensions) {
  const std::uint16_t bad[] = {0, static_cast<std::uint16_t>(kMaxDimension + 1), 0xFFFF};
  for (const std::uint16_t v : bad) {
    auto w = frame_payload(sample_frame());
    put16(w, kWidthAt, v);
    FrameHeader out;
    EXPECT_EQ(decode_frame_payload(w, out), Error::kBadField) << "width " << v;
    auto h = frame_payload(sample_frame());
    put16(h, kHeightAt, v);
    EXPECT_EQ(decode_frame_payload(h, out), Error::kBadField) << "height " << v;
  }
}

TEST(ProtocolReject, SubsamplingOutOfRange) {
  for (const int sub : {6, 7, 128, 255}) {
    auto payload = frame_payload(sample_frame());
    payload[kSubsamplingAt] = static_cast<std::uint8_t>(sub);
    FrameHeader out;
    EXPECT_EQ(decode_frame_payload(payload, out), Error::kBadField) << "subsampling " << sub;
  }
}

TEST(ProtocolReject, JpegSizeNotMatchingPayload) {
  const FrameHeader f = sample_frame();
  FrameHeader out;
  // More bytes than the frame header announces: the lengths disagree.
  auto longer = frame_payload(f);
  longer.push_back(0);
  EXPECT_EQ(decode_frame_payload(longer, out), Error::kBadLength);
  auto smaller_size = frame_payload(f);
  put32(smaller_size, kJpegSizeAt, f.jpeg_size - 1);
  EXPECT_EQ(decode_frame_payload(smaller_size, out), Error::kBadLength);
  // Fewer: the JPEG is cut short.
  auto larger_size = frame_payload(f);
  put32(larger_size, kJpegSizeAt, f.jpeg_size + 1);
  EXPECT_EQ(decode_frame_payload(larger_size, out), Error::kTruncated);
}

TEST(ProtocolDescribe, EveryErrorHasItsOwnSentence) {
  const Error all[] = {Error::kNone,
                       Error::kTruncated,
                       Error::kBadMagic,
                       Error::kUnsupportedVersion,
                       Error::kUnknownType,
                       Error::kUnexpectedType,
                       Error::kLengthOverBound,
                       Error::kBadLength,
                       Error::kBadField};
  for (const Error a : all) {
    EXPECT_FALSE(describe(a).empty());
    for (const Error b : all) {
      if (a != b) {
        EXPECT_NE(describe(a), describe(b));
      }
    }
  }
}

}  // namespace
// ---- version 2: the token check ------------------------------------------------------------

TEST(ProtocolAuth, AuthRoundTripsItsProof) {
  Auth in;
  for (std::size_t i = 0; i < in.proof.size(); ++i)
    in.proof[i] = static_cast<std::uint8_t>(i * 7 + 1);
  const auto bytes = encode(in);
  MessageHeader header;
  ASSERT_EQ(decode(std::span(bytes).first(kMessageHeaderSize), header, kMaxControlPayload),
            Error::kNone);
  EXPECT_EQ(header.type, MessageType::kAuth);
  EXPECT_EQ(header.length, kAuthPayloadSize);
  Auth out;
  ASSERT_EQ(decode_auth_payload(std::span(bytes).subspan(kMessageHeaderSize), out), Error::kNone);
  EXPECT_EQ(out.proof, in.proof);
  EXPECT_EQ(decode_auth_payload(std::span(bytes).subspan(kMessageHeaderSize + 1), out),
            Error::kTruncated);
}

TEST(ProtocolAuth, AuthResultRoundTripsAndRejectsNonsense) {
  for (const AuthResult in : {AuthResult{AuthOutcome::kAccepted, Role::kView},
                              AuthResult{AuthOutcome::kAccepted, Role::kControl},
                              AuthResult{AuthOutcome::kRefused, Role::kNone}}) {
    const auto bytes = encode(in);
    AuthResult out;
    ASSERT_EQ(decode_auth_result_payload(std::span(bytes).subspan(kMessageHeaderSize), out),
              Error::kNone);
    EXPECT_EQ(out.outcome, in.outcome);
    EXPECT_EQ(out.role, in.role);
  }
  AuthResult out;
  // Accepted without a role, refused with one, an outcome or role that does not exist.
  for (const std::array<std::uint8_t, 4> bad :
       {std::array<std::uint8_t, 4>{0, 0, 0, 0}, {0, 1, 0, 2}, {0, 2, 0, 0}, {0, 0, 0, 3}}) {
    EXPECT_EQ(decode_auth_result_payload(bad, out), Error::kBadField);
  }
}

TEST(ProtocolAuth, TheProofDependsOnTokenAndNonceAndIsNotTheToken) {
  Nonce a{}, b{};
  b[31] = 1;
  const auto p = auth_proof("a-token-of-some-length", a);
  EXPECT_EQ(p, auth_proof("a-token-of-some-length", a)) << "deterministic";
  EXPECT_NE(p, auth_proof("a-token-of-some-length", b)) << "a replay on another nonce fails";
  EXPECT_NE(p, auth_proof("a-token-of-some-lengtH", a));
  // HMAC-SHA256 (RFC 2104) keyed with the token over "camstream auth v2" and 32 zero bytes,
  // as computed independently with: python3 -c 'import hmac,hashlib;
  // print(hmac.new(b"key",b"camstream auth v2"+bytes(32),hashlib.sha256).hexdigest())'
  EXPECT_EQ(crypto::hex(auth_proof("key", a)),
            "c78fb591baf38e3ae8c9658f2ffb6c9d283204f2b562d84c8fdc8fdb602aace5");
}

TEST(ProtocolAuth, AServerHelloMayAskForAToken) {
  ServerHello out;
  ASSERT_EQ(decode(encode(ServerHello{kVersion, HelloStatus::kAuthRequired, 9}), out),
            Error::kNone);
  EXPECT_EQ(out.status, HelloStatus::kAuthRequired);
}

// ---- version 3: controls and the full-size still -------------------------------------------

namespace {

std::span<const std::uint8_t> payload_of(std::span<const std::uint8_t> message) {
  return message.subspan(kMessageHeaderSize);
}

}  // namespace

TEST(ProtocolControls, SetControlsRoundTripsWithAndWithoutPersist) {
  for (const bool persist : {false, true}) {
    const std::string json = R"({"quality":20,"AwbMode":"Daylight"})";
    const auto bytes = encode(SetControls{persist, json});
    MessageHeader header;
    ASSERT_EQ(decode(std::span(bytes).first(kMessageHeaderSize), header, kMaxViewerPayload),
              Error::kNone);
    EXPECT_EQ(header.type, MessageType::kSetControls);
    EXPECT_EQ(header.length, kSetControlsPrefixSize + json.size());
    EXPECT_EQ(bytes[kMessageHeaderSize + 1], persist ? 1 : 0);
    SetControls out;
    ASSERT_EQ(decode_set_controls_payload(payload_of(bytes), out), Error::kNone);
    EXPECT_EQ(out.persist, persist);
    EXPECT_EQ(out.json, json);
  }
}

TEST(ProtocolControls, SetControlsRejectsUnknownFlagsReservedBytesAndNul) {
  auto bytes = encode(SetControls{false, "{}"});
  SetControls out;
  for (const std::size_t at : {kMessageHeaderSize, kMessageHeaderSize + 1, kMessageHeaderSize + 2,
                               kMessageHeaderSize + 3}) {
    auto bad = bytes;
    bad[at] = at == kMessageHeaderSize + 1 ? 2 : 1;
    EXPECT_EQ(decode_set_controls_payload(payload_of(bad), out), Error::kBadField) << at;
  }
  bytes.push_back(0);
  EXPECT_EQ(decode_set_controls_payload(payload_of(bytes), out), Error::kBadField);
  const std::uint8_t three[] = {0, 0, 0};
  EXPECT_EQ(decode_set_controls_payload(three, out), Error::kTruncated);
}

TEST(ProtocolControls, EmptyRequestsHaveNoPayload) {
  for (const MessageType type : {MessageType::kListControls, MessageType::kRequestStill}) {
    const auto bytes = encode_empty(type);
    MessageHeader header;
    ASSERT_EQ(decode(bytes, header, kMaxViewerPayload), Error::kNone);
    EXPECT_EQ(header.type, type);
    EXPECT_EQ(header.length, 0u);
    EXPECT_EQ(decode(encode(MessageHeader{type, 1}), header, kMaxViewerPayload), Error::kBadLength);
  }
}

TEST(ProtocolControls, TextMessagesRoundTrip) {
  const std::string json = R"({"quality":20})";
  for (const MessageType type : {MessageType::kControlsList, MessageType::kControlsResult,
                                 MessageType::kControlsChanged, MessageType::kStillError}) {
    const auto bytes = encode_text_message(type, json);
    MessageHeader header;
    ASSERT_EQ(decode(std::span(bytes).first(kMessageHeaderSize), header, kMaxFramePayload),
              Error::kNone);
    EXPECT_EQ(header.type, type);
    EXPECT_EQ(header.length, json.size());
    std::string_view out;
    ASSERT_EQ(decode_text_payload(type, payload_of(bytes), out), Error::kNone);
    EXPECT_EQ(out, json);
  }
}

TEST(ProtocolControls, EveryLengthIsCheckedAgainstItsBoundBeforeAllocating) {
  const struct {
    MessageType type;
    std::uint32_t bound;
  } cases[] = {
      {MessageType::kSetControls, kSetControlsPrefixSize + kMaxJsonBytes},
      {MessageType::kControlsList, kMaxJsonBytes},
      {MessageType::kControlsResult, kMaxJsonBytes},
      {MessageType::kControlsChanged, kMaxJsonBytes},
      {MessageType::kStillError, kMaxTextBytes},
      {MessageType::kStill, kMaxFramePayload},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(payload_bound(c.type), c.bound);
    MessageHeader out;
    EXPECT_EQ(decode(encode(MessageHeader{c.type, c.bound}), out, kMaxFramePayload), Error::kNone)
        << static_cast<int>(c.type);
    EXPECT_EQ(decode(encode(MessageHeader{c.type, c.bound + 1}), out, kMaxFramePayload),
              Error::kLengthOverBound)
        << static_cast<int>(c.type);
    EXPECT_EQ(decode(encode(MessageHeader{c.type, 0xFFFFFFFFu}), out, kMaxFramePayload),
              Error::kLengthOverBound);
  }
  // The daemon's bound admits the largest SetControls and nothing larger of any type.
  MessageHeader out;
  EXPECT_EQ(decode(encode(MessageHeader{MessageType::kSetControls, kMaxViewerPayload}), out,
                   kMaxViewerPayload),
            Error::kNone);
  EXPECT_EQ(decode(encode(MessageHeader{MessageType::kFrame, kMaxViewerPayload + 1}), out,
                   kMaxViewerPayload),
            Error::kLengthOverBound);
  // Payload decoders hold the same bounds when handed more than a header allowed.
  const std::vector<std::uint8_t> big(kMaxJsonBytes + 1, 'x');
  std::string_view text;
  EXPECT_EQ(decode_text_payload(MessageType::kControlsChanged, big, text), Error::kLengthOverBound);
  EXPECT_EQ(
      decode_text_payload(MessageType::kStillError, std::span(big).first(kMaxTextBytes + 1), text),
      Error::kLengthOverBound);
  std::vector<std::uint8_t> set(kSetControlsPrefixSize + kMaxJsonBytes + 1, 'x');
  std::fill_n(set.begin(), kSetControlsPrefixSize, 0);
  SetControls s;
  EXPECT_EQ(decode_set_controls_payload(set, s), Error::kLengthOverBound);
  const std::uint8_t nul[] = {'{', 0, '}'};
  EXPECT_EQ(decode_text_payload(MessageType::kControlsList, nul, text), Error::kBadField);
}

TEST(ProtocolControls, AStillIsAFrameUnderAnotherType) {
  const FrameHeader frame{77, 5'000'000, 4056, 3040, Subsampling::k420, 10};
  const auto prefix = encode_still_prefix(frame);
  const auto stream = encode_frame_prefix(frame);
  EXPECT_EQ(prefix[0], static_cast<std::uint8_t>(MessageType::kStill));
  EXPECT_TRUE(std::equal(prefix.begin() + 1, prefix.end(), stream.begin() + 1));
  MessageHeader header;
  ASSERT_EQ(decode(std::span(prefix).first(kMessageHeaderSize), header, kMaxFramePayload),
            Error::kNone);
  EXPECT_EQ(header.type, MessageType::kStill);
  EXPECT_EQ(decode(encode(MessageHeader{MessageType::kStill, kFrameHeaderSize - 1}), header,
                   kMaxFramePayload),
            Error::kBadLength);
  std::vector<std::uint8_t> payload(prefix.begin() + kMessageHeaderSize, prefix.end());
  payload.resize(payload.size() + 10, 0xAB);
  FrameHeader out;
  ASSERT_EQ(decode_frame_payload(payload, out), Error::kNone);
  EXPECT_EQ(out.width, 4056);
  EXPECT_EQ(out.jpeg_size, 10u);
}

}  // namespace camstream::proto
