// main_loop_test.cpp - camview's headless loop: what ends it, and the exit code of each end.
#include "viewer/main_loop.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tests/unit/helpers.hpp"
#include "tests/unit/viewer_helpers.hpp"
#include "viewer/net/connect.hpp"

namespace camstream {
namespace {

using testing::eventually;
using testing::ScriptedPeer;

const std::string kHead =
    "HTTP/1.1 200 OK\r\nContent-Type: multipart/x-mixed-replace;boundary=b\r\n\r\n";

// Part `seq` of an MJPEG stream: the test pattern's frame as a real JPEG.
std::string part(std::uint64_t seq) {
  const auto frame = testing::make_encoded_frame(seq);
  const std::string jpeg(frame->jpeg().begin(), frame->jpeg().end());
  return testing::mjpeg_part("--b", jpeg, true, "X-Sequence: " + std::to_string(seq) + "\r\n");
}

// A scripted HTTP server and a Viewer for its stream, not started.
struct Rig {
  ScriptedPeer peer{ScriptedPeer::http_request()};
  Doorbell doorbell;
  std::unique_ptr<Viewer> viewer;

  explicit Rig(std::uint64_t frames = 0, bool reconnect = true) {
    ViewerOptions opt;
    opt.url = HttpUrl{HostPort{"127.0.0.1", peer.port()}, "/", ""};
    opt.target = opt.url->server;
    opt.frames = frames;
    opt.reconnect.enabled = reconnect;
    viewer = std::make_unique<Viewer>(
        opt, link_maker(opt.target, opt.url, opt.token, doorbell.notifier()));
  }
  int run(const std::atomic<bool>& interrupted) {
    return run_headless({viewer.get()}, doorbell, interrupted);
  }
};

// run_window needs a display and SDL events: the e2e tests run it under Xvfb.

TEST(MainLoop, HeadlessEndsWellAfterFramesN) {
  Rig r(/*frames=*/1);
  r.peer.send(kHead + part(1));  // and the stream goes on
  const std::atomic<bool> interrupted{false};
  EXPECT_EQ(r.run(interrupted), kExitOk);
  EXPECT_EQ(r.viewer->decoded(), 1u);
  EXPECT_TRUE(eventually([&] { return r.peer.client_gone(); })) << "the loop left it running";
}

TEST(MainLoop, HeadlessStreamEndIsExitOneAfterItsLastFrameWithoutReconnecting) {
  Rig r(/*frames=*/0, /*reconnect=*/false);
  r.peer.send(kHead + part(1));
  r.peer.hang_up();
  const std::atomic<bool> interrupted{false};
  EXPECT_EQ(r.run(interrupted), kExitStream);
  EXPECT_EQ(r.viewer->decoded(), 1u) << "the frame before the end was not decoded";
  EXPECT_TRUE(r.viewer->feed().failed());
}

TEST(MainLoop, HeadlessSignalIsExitZeroWhileStreaming) {
  Rig r;
  r.peer.send(kHead);
  std::atomic<bool> interrupted{false};
  // The signal comes once the request has reached the server: the stream is under way.
  std::thread signal([&] {
    EXPECT_TRUE(eventually([&] { return !r.peer.received().empty(); }));
    interrupted = true;
  });
  EXPECT_EQ(r.run(interrupted), kExitOk);
  signal.join();
  EXPECT_FALSE(r.viewer->feed().failed()) << r.viewer->feed().reason();
  EXPECT_TRUE(eventually([&] { return r.peer.client_gone(); }));
}

// Several cameras: each must reach --frames N, and one that ends for good decides the code.
TEST(MainLoop, HeadlessWaitsForEveryCamera) {
  Rig a(/*frames=*/1), b(/*frames=*/1);
  // b's links ring a's doorbell too: one doorbell wakes the loop for all.
  ViewerOptions opt;
  opt.url = HttpUrl{HostPort{"127.0.0.1", b.peer.port()}, "/", ""};
  opt.target = opt.url->server;
  opt.frames = 1;
  Viewer second(opt, link_maker(opt.target, opt.url, opt.token, a.doorbell.notifier()));
  a.peer.send(kHead + part(1));
  b.peer.send(kHead + part(7));
  const std::atomic<bool> interrupted{false};
  EXPECT_EQ(run_headless({a.viewer.get(), &second}, a.doorbell, interrupted), kExitOk);
  EXPECT_EQ(a.viewer->decoded(), 1u);
  EXPECT_EQ(second.decoded(), 1u);
}

TEST(MainLoop, AFailedCameraFailsTheRunUnlessThePatternCheckDid) {
  Rig ok, failed(/*frames=*/0, /*reconnect=*/false);
  failed.peer.hang_up();
  failed.viewer->start();
  ASSERT_TRUE(eventually([&] {
    failed.viewer->take();
    return failed.viewer->feed().state() == FeedState::kEnded;
  }));
  EXPECT_EQ(exit_code({ok.viewer.get(), failed.viewer.get()}, false, false), kExitStream);
  EXPECT_EQ(exit_code({ok.viewer.get()}, false, false), kExitOk);
}

}  // namespace
}  // namespace camstream
