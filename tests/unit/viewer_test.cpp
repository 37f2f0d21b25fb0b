// viewer_test.cpp - a frame after the mailbox, the title, the exit code, the connection's life.
#include "viewer/viewer.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <unistd.h>

#include "shared/protocol.hpp"
#include "tests/unit/helpers.hpp"
#include "tests/unit/viewer_helpers.hpp"
#include "viewer/net/connect.hpp"

namespace camstream {
namespace {

using testing::eventually;
using testing::received_frame;
using testing::ScriptedPeer;

// A Viewer whose connection is never started: consume() and the rest need no network.
struct Rig {
  Viewer viewer;

  explicit Rig(const ViewerOptions& opt = {})
      : viewer(opt, link_maker(opt.target, opt.url, opt.token, [] {})) {}
};

TEST(ViewerTarget, EachFormTheUserMayType) {
  std::string error;
  ViewerOptions c;
  ASSERT_TRUE(set_target("pi.local", c, error)) << error;
  EXPECT_EQ(c.target.host, "pi.local");
  EXPECT_EQ(c.target.port, 8080);
  EXPECT_FALSE(c.tls);
  EXPECT_FALSE(c.url);
  c = {};
  ASSERT_TRUE(set_target("camstreams://pi.local:9000", c, error)) << error;
  EXPECT_EQ(c.target.port, 9000);
  EXPECT_TRUE(c.tls);
  EXPECT_EQ(source_name(c), "camstreams://pi.local:9000");
  c = {};
  ASSERT_TRUE(set_target("https://pi.local:8080/stream", c, error)) << error;
  ASSERT_TRUE(c.url);
  EXPECT_TRUE(c.tls);
  EXPECT_EQ(c.target.port, 8080);
  // --tls makes an http:// URL https, and a plain address camstreams.
  c = {};
  c.tls = true;
  ASSERT_TRUE(set_target("http://pi.local:8080/stream", c, error)) << error;
  EXPECT_TRUE(c.url->tls);
  EXPECT_EQ(source_name(c), "https://pi.local:8080/stream");
  c = {};
  c.tls = true;
  ASSERT_TRUE(set_target("pi.local:8080", c, error)) << error;
  EXPECT_EQ(source_name(c), "camstreams://pi.local:8080");
  // Each mistake gets one sentence: what is wrong and an example of what is right.
  for (const char* bad : {"camstreams://pi/stream", "ftp://pi/", "pi:99999"}) {
    ViewerOptions b;
    EXPECT_FALSE(set_target(bad, b, error)) << bad;
    EXPECT_NE(error.find(std::string("'") + bad + "'"), std::string::npos) << error;
    EXPECT_NE(error.find("e.g."), std::string::npos) << error;
  }
}

TEST(Viewer, ShowsDecodedFramesAndStopsAfterFramesN) {
  ViewerOptions opt;
  opt.frames = 2;
  Rig r(opt);
  EXPECT_EQ(r.viewer.consume(received_frame(1, 640, 480)), Viewer::Outcome::kShow);
  EXPECT_EQ(r.viewer.image().width(), 640);
  EXPECT_EQ(r.viewer.image().height(), 480);
  EXPECT_EQ(r.viewer.consume(received_frame(2)), Viewer::Outcome::kShowAndStop);
  EXPECT_EQ(r.viewer.image().width(), 320);
  EXPECT_EQ(r.viewer.decoded(), 2u);
  EXPECT_EQ(r.viewer.exit_code(/*enough=*/true, /*interrupted=*/false), kExitOk);
}

TEST(Viewer, SkipsAFrameThatDoesNotDecode) {
  Rig r;
  ReceivedFrame broken = received_frame(1);
  broken.payload.resize(broken.payload.size() / 2);
  EXPECT_EQ(r.viewer.consume(std::move(broken)), Viewer::Outcome::kSkip);
  EXPECT_EQ(r.viewer.decoded(), 0u);
  EXPECT_EQ(r.viewer.consume(received_frame(2)), Viewer::Outcome::kShow);
  EXPECT_EQ(r.viewer.decoded(), 1u);
}

TEST(Viewer, PatternCheckCountsFramesWhosePixelsDisagree) {
  ViewerOptions opt;
  opt.check_pattern = true;
  Rig r(opt);
  EXPECT_EQ(r.viewer.consume(received_frame(5)), Viewer::Outcome::kShow);
  EXPECT_EQ(r.viewer.pattern_errors(), 0u);
  ReceivedFrame renumbered = received_frame(6);
  renumbered.header.seq = 9;  // the picture still says 6
  EXPECT_EQ(r.viewer.consume(std::move(renumbered)), Viewer::Outcome::kShow);
  EXPECT_EQ(r.viewer.pattern_errors(), 1u);
  // A failed check decides the exit code, however the stream ended.
  EXPECT_EQ(r.viewer.exit_code(/*enough=*/true, /*interrupted=*/false), kExitPattern);
  EXPECT_EQ(r.viewer.exit_code(/*enough=*/false, /*interrupted=*/true), kExitPattern);
}

// A stream that ended for good fails camview, unless it had enough frames or a signal came.
TEST(Viewer, ExitCodeSaysHowTheStreamEnded) {
  {
    Rig r;
    EXPECT_EQ(r.viewer.exit_code(false, false), kExitOk);  // the window was closed
  }
  ScriptedPeer peer(ScriptedPeer::native_hello());
  peer.hang_up();
  ViewerOptions opt;
  opt.target = HostPort{"127.0.0.1", peer.port()};
  opt.reconnect.enabled = false;
  Rig r(opt);
  r.viewer.start();
  ASSERT_TRUE(eventually([&] {
    r.viewer.take();
    return r.viewer.feed().state() == FeedState::kEnded;
  }));
  EXPECT_TRUE(r.viewer.feed().failed());
  EXPECT_EQ(r.viewer.exit_code(false, false), kExitStream);
  // Enough frames, or a signal, end camview well even when the stream broke meanwhile.
  EXPECT_EQ(r.viewer.exit_code(/*enough=*/true, false), kExitOk);
  EXPECT_EQ(r.viewer.exit_code(false, /*interrupted=*/true), kExitOk);
}

TEST(Viewer, TitleNamesTheStreamItsSizeAndRate) {
  ViewerOptions native;
  native.target = HostPort{"cam.local", 8080};
  Rig n(native);
  EXPECT_EQ(n.viewer.title(), "camview - cam.local:8080 - connecting");
  n.viewer.consume(received_frame(1, 640, 480));
  EXPECT_EQ(n.viewer.title(), "camview - cam.local:8080 - 640x480 - 0.0 fps - connecting");

  ViewerOptions http;
  http.url = HttpUrl{HostPort{"cam", 80}, "/stream", ""};
  http.target = http.url->server;
  Rig h(http);
  EXPECT_EQ(h.viewer.title(), "camview - http://cam:80/stream - connecting");
}

// start() runs the connection's network thread, stop() ends the stream and joins it; both may
// come again, and the destructor stops a running one.
TEST(Viewer, StartAndStopRunTheConnection) {
  for (const bool explicit_stop : {true, false}) {
    SCOPED_TRACE(explicit_stop ? "stop()" : "destructor");
    ScriptedPeer peer(ScriptedPeer::native_hello());
    peer.send(proto::encode(proto::ServerHello{}));
    {
      ViewerOptions opt;
      opt.target = HostPort{"127.0.0.1", peer.port()};
      Viewer viewer(opt, link_maker(opt.target, opt.url, opt.token, [] {}));
      viewer.start();
      ASSERT_TRUE(eventually([&] { return peer.received().size() >= proto::kClientHelloSize; }))
          << "the connection never said hello";
      if (explicit_stop) {
        viewer.stop();
        viewer.stop();
      }
    }
    EXPECT_TRUE(eventually([&] { return peer.client_gone(); }));
  }
}

// s writes the JPEG as it arrived, named after camera, time and seq, into --snapshot-dir.
TEST(Viewer, SnapshotIsTheJpegAsItArrived) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("camview-viewer-" + std::to_string(::getpid()));
  ViewerOptions opt;
  opt.target = HostPort{"cam.local", 8080};
  opt.snapshot_dir = dir.string();
  Rig r(opt);
  r.viewer.snapshot();
  EXPECT_TRUE(r.viewer.notice().error) << "nothing on screen yet, nothing to save";
  const ReceivedFrame frame = received_frame(12);
  const std::string sent(frame.jpeg().begin(), frame.jpeg().end());
  ASSERT_EQ(r.viewer.consume(frame), Viewer::Outcome::kShow);
  r.viewer.snapshot();
  ASSERT_FALSE(r.viewer.notice().error) << r.viewer.notice().text;
  const std::string path = r.viewer.notice().text.substr(std::string("saved ").size());
  EXPECT_NE(path.find("camview-cam.local_8080-"), std::string::npos) << path;
  EXPECT_TRUE(path.ends_with("-seq12.jpg")) << path;
  std::ifstream in(path, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), sent);
  std::filesystem::remove_all(dir);
}

// --record FILE starts with the first frame; r stops it and says how many frames it kept.
TEST(Viewer, RecordFlagRecordsFromTheFirstFrame) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("camview-viewer-rec-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  ViewerOptions opt;
  opt.record = (dir / "x.mkv").string();
  Rig r(opt);
  EXPECT_FALSE(r.viewer.recording());
  for (std::uint64_t seq = 1; seq <= 3; ++seq)
    r.viewer.consume(received_frame(seq));
  EXPECT_TRUE(r.viewer.recording());
  r.viewer.toggle_recording();
  EXPECT_FALSE(r.viewer.recording());
  r.viewer.stop();  // the file is written on its own thread; stop() waits for it
  EXPECT_EQ(r.viewer.notice().text, "recorded 3 frames into " + opt.record);
  EXPECT_GT(std::filesystem::file_size(opt.record), 0u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace camstream
