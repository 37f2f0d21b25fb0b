// viewer_controls_test.cpp - camview's control channel: requests wait for a connection, answers
// wait for the viewer, and a connection that ends unanswered says so.
#include <string>

#include <gtest/gtest.h>

#include "viewer/net/control_channel.hpp"

namespace camstream {
namespace {

std::string json_of(const std::vector<std::uint8_t>& message) {
  return std::string(message.begin() + proto::kMessageHeaderSize + proto::kSetControlsPrefixSize,
                     message.end());
}

TEST(ControlChannel, ASetWaitsForAConnectionAndIsSentOnce) {
  ControlChannel c;
  c.set({{"quality", "20"}}, true);
  EXPECT_EQ(c.unanswered(), 1u);
  int woken = 0;
  c.attach([&] { ++woken; });
  auto out = c.take_outgoing();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0][0], static_cast<std::uint8_t>(proto::MessageType::kSetControls));
  proto::SetControls set;
  ASSERT_EQ(
      proto::decode_set_controls_payload(std::span(out[0]).subspan(proto::kMessageHeaderSize), set),
      proto::Error::kNone);
  EXPECT_TRUE(set.persist);
  EXPECT_EQ(json_of(out[0]), R"({"quality":"20"})");
  EXPECT_TRUE(c.take_outgoing().empty());
  // A request made while connected wakes the connection.
  c.request_still();
  EXPECT_EQ(woken, 1);
  out = c.take_outgoing();
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0][0], static_cast<std::uint8_t>(proto::MessageType::kRequestStill));
  // The answer: nothing unanswered any more, and the viewer gets it.
  ControlEvent result;
  result.kind = ControlEvent::Kind::kResult;
  result.json = {{"applied", {{"quality", 20}}}, {"refused", nlohmann::json::object()}};
  c.post(result);
  EXPECT_EQ(c.unanswered(), 0u);
  const auto events = c.take_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].json["applied"]["quality"], 20);
  c.detach();
  EXPECT_TRUE(c.take_events().empty()) << "nothing was left unanswered";
}

TEST(ControlChannel, AConnectionEndingBeforeTheAnswerReportsTheSetAsRefused) {
  ControlChannel c;
  c.attach([] {});
  c.set({{"quality", 20}});
  ASSERT_EQ(c.take_outgoing().size(), 1u);
  c.detach();
  EXPECT_EQ(c.unanswered(), 0u);
  const auto events = c.take_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, ControlEvent::Kind::kResult);
  EXPECT_NE(events[0].json["refused"]["(request)"].get<std::string>().find("may or may not"),
            std::string::npos);
  // Not woken after detaching, and what is asked now waits for the next connection.
  c.set({{"quality", 30}});
  EXPECT_EQ(c.unanswered(), 1u);
  c.attach([] {});
  EXPECT_EQ(c.take_outgoing().size(), 1u);
}

TEST(ControlChannel, ASetOverTheBoundIsRefusedWithoutBeingSent) {
  ControlChannel c;
  c.set({{"name", std::string(proto::kMaxJsonBytes, 'x')}});
  EXPECT_EQ(c.unanswered(), 0u);
  c.attach([] {});
  EXPECT_TRUE(c.take_outgoing().empty());
  const auto events = c.take_events();
  ASSERT_EQ(events.size(), 1u);
  EXPECT_NE(events[0].json["refused"]["(request)"].get<std::string>().find("bound"),
            std::string::npos);
}

}  // namespace
}  // namespace camstream
