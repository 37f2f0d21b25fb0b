// http_pages_test.cpp - /status, /metrics and the page rendered from known figures.
#include "device/serve/http_pages.hpp"

#include <string>

#include <gtest/gtest.h>

namespace camstream {
namespace {

Figures sample() {
  Figures f;
  f.uptime_s = 61.25;
  f.have_pipeline = true;
  f.pipeline.source = "camera \"Virtual\" (id\\0)\n";
  f.pipeline.width = 1280;
  f.pipeline.height = 720;
  f.pipeline.target_fps = 30;
  f.pipeline.quality = 80;
  f.pipeline.workers = 2;
  f.pipeline.captured = 1830;
  f.pipeline.dropped = 3;
  f.pipeline.over_rate = 7;
  f.pipeline.encoded = 1827;
  f.pipeline.encode_failed = 1;
  f.pipeline.late = 2;
  f.pipeline.encode_us_total = 2'500'000;
  StageTimes encode;
  encode.record(1200);
  encode.record(1300);
  f.pipeline.encode = encode.snapshot();
  f.captured_fps = 30.012;
  f.sent_fps = 60.5;
  f.server.accepted = 9;
  f.server.refused = 1;
  f.server.frames_sent = 3641;
  f.server.frames_skipped = 4;
  f.server.connections = 3;
  f.server.handshakes = 1;
  f.server.limits = LimitFigures{256, 64, 32, 5, 30};
  f.server.defences = DefenceFigures{11, 12, 13, 14, 15, 16, 17};
  f.server.clients.push_back({"192.168.1.20:50412", "http", 40.1, 30.005, 1203, 3});
  f.server.clients.push_back({"[::1]:4000", "native", 2, 29.9, 60, 0});
  return f;
}

TEST(StatusJson, CarriesEveryFigureWithTextEscaped) {
  const std::string j = status_json(sample());
  EXPECT_EQ(j.front(), '{');
  EXPECT_EQ(j.substr(j.size() - 2), "}\n");
  // Quotes, backslash and the newline in the source name are escaped, so the JSON stays valid.
  EXPECT_NE(j.find(R"("source":"camera \"Virtual\" (id\\0)\u000a")"), std::string::npos) << j;
  for (
      const char* part :
      {R"("width":1280)", R"("height":720)", R"("target_fps":30.000)", R"("quality":80)",
       R"("uptime_s":61.250)", R"("fps":{"captured":30.012,"sent":60.500})",
       R"("frames":{"captured":1830,"dropped":3,"over_rate":7,"encoded":1827,"encode_failed":1,"late":2,"sent":3641,"skipped":4})",
       R"("connections":3,"accepted":9,"refused":1,"auth_failures":0,"handshakes":1)",
       R"("limits":{"max_clients":256,"max_handshakes":64,"max_per_address":32,"handshake_timeout_s":5.000,"write_timeout_s":30.000})",
       R"("defences":{"handshakes_dropped":11,"over_address_limit":12,"over_client_limit":13,"shed":14,"accept_failures":15,"stalled":16,"log_lines_held_back":17})",
       R"({"peer":"192.168.1.20:50412","kind":"http","connected_s":40.100,"fps":30.005,"sent":1203,"skipped":3})",
       R"("kind":"native")", R"("encode":{"count":2,)", R"("send":{"count":0,)"}) {
    EXPECT_NE(j.find(part), std::string::npos) << "missing " << part << " in " << j;
  }
}

TEST(StatusJson, WithoutAPipelineCapturedFpsIsNull) {
  Figures f;
  const std::string j = status_json(f);
  EXPECT_NE(j.find(R"("fps":{"captured":null,)"), std::string::npos) << j;
  EXPECT_EQ(j.find("\"source\""), std::string::npos) << j;
  EXPECT_NE(j.find(R"("clients":[]})"), std::string::npos) << j;
}

TEST(MetricsText, EveryCounterHasHelpTypeAndValue) {
  const std::string m = metrics_text(sample());
  for (const char* line : {"camstream_frames_captured_total 1830\n",
                           "camstream_frames_dropped_total 3\n",
                           "camstream_frames_over_rate_total 7\n",
                           "camstream_frames_encoded_total 1827\n",
                           "camstream_frames_late_total 2\n",
                           "camstream_encode_seconds_total 2.500\n",
                           "camstream_frames_sent_total 3641\n",
                           "camstream_frames_skipped_total 4\n",
                           "camstream_clients 2\n",
                           "camstream_connections 3\n",
                           "camstream_connections_refused_total 1\n",
                           "camstream_handshakes 1\n",
                           "camstream_handshakes_dropped_total 11\n",
                           "camstream_connections_over_address_limit_total 12\n",
                           "camstream_connections_over_client_limit_total 13\n",
                           "camstream_connections_shed_total 14\n",
                           "camstream_accept_failures_total 15\n",
                           "camstream_clients_stalled_total 16\n",
                           "camstream_log_lines_held_back_total 17\n",
                           "camstream_limit{limit=\"max_per_address\"} 32\n",
                           "camstream_limit{limit=\"write_timeout\"} 30.000\n",
                           "camstream_stage_seconds_count{stage=\"encode\"} 2\n",
                           "# TYPE camstream_frames_sent_total counter\n",
                           "# TYPE camstream_clients gauge\n"}) {
    EXPECT_NE(m.find(line), std::string::npos) << "missing " << line << " in\n" << m;
  }
  // A label value keeps its quotes and newline escaped, as the exposition format says.
  EXPECT_NE(m.find(R"(source="camera \"Virtual\" (id\\0)\n")"), std::string::npos) << m;
  // Every sample line belongs to a family declared before it.
  std::size_t pos = 0;
  while (pos < m.size()) {
    const std::size_t end = m.find('\n', pos);
    ASSERT_NE(end, std::string::npos) << "the text ends in a newline";
    const std::string line = m.substr(pos, end - pos);
    if (line.rfind('#', 0) != 0) {
      const std::string name = line.substr(0, line.find_first_of("{ "));
      std::string family = name;
      for (const char* suffix : {"_sum", "_count"}) {
        const std::string s(suffix);
        if (family.size() > s.size() && family.compare(family.size() - s.size(), s.size(), s) == 0)
          family.resize(family.size() - s.size());
      }
      EXPECT_NE(m.rfind("# TYPE " + family + " ", pos), std::string::npos) << line;
    }
    pos = end + 1;
  }
}

TEST(IndexHtml, ShowsTheStreamAndEscapesTheSourceName) {
  Figures f = sample();
  f.pipeline.source = "<script>alert(1)</script>";
  const std::string h = index_html(f);
  EXPECT_NE(h.find(R"(<img id="stream" src="/stream")"), std::string::npos);
  EXPECT_EQ(h.find("<script>alert(1)"), std::string::npos) << "the source name is text";
  EXPECT_NE(h.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(h.find("2 clients"), std::string::npos);
}

TEST(IndexHtml, DrawsTheControlsFromTheControlsEndpoint) {
  const std::string h = index_html(sample());
  // A section filled by the script from GET /controls, changes sent with POST /controls.
  for (const char* part :
       {R"(<section id="controls" hidden>)", R"(<div id="ctl-list"></div>)",
        R"(<button id="save" type="button">save</button>)",
        R"(<a id="still" href="/snapshot?size=full">full-size still</a>)", "fetch(url('/controls')",
        "method: 'POST'", "persist ? 'persist=1' : ''", "type: 'range'", "type: 'checkbox'",
        "'select'", "c.read_only", "status === 403", "answer.refused", "setInterval(load,",
        "addEventListener('focus', load)", R"(name="viewport")"}) {
    EXPECT_NE(h.find(part), std::string::npos) << "missing " << part;
  }
  // Without a token the page's addresses carry none.
  EXPECT_NE(h.find("const token = '';"), std::string::npos);
  // Self-contained: nothing is fetched from elsewhere.
  EXPECT_EQ(h.find("http://"), std::string::npos);
  EXPECT_EQ(h.find("https://"), std::string::npos);
  EXPECT_EQ(h.find("//cdn"), std::string::npos);
  // One script, closed once: the controls' code did not end the raw string early.
  EXPECT_EQ(h.find("<script>"), h.rfind("<script>"));
  EXPECT_EQ(h.substr(h.size() - 15), "</body></html>\n");
}

TEST(IndexHtml, PassesItsTokenOnToEveryAddress) {
  const std::string h = index_html(sample(), "token=abc-123_x.y~%41");
  for (const char* part :
       {R"(<img id="stream" src="/stream?token=abc-123_x.y~%41")",
        R"(<a href="/snapshot?token=abc-123_x.y~%41">)",
        R"(<a href="/status?token=abc-123_x.y~%41">)",
        R"(<a id="still" href="/snapshot?size=full&amp;token=abc-123_x.y~%41">)",
        "const token = 'token=abc-123_x.y~%41';", "url('/status')", "url('/controls')"}) {
    EXPECT_NE(h.find(part), std::string::npos) << "missing " << part;
  }
}

TEST(IndexHtml, DropsATokenThatWouldNeedEscaping) {
  for (const char* bad : {"token=a'b", "token=a\"b", "token=a<b", "token=a b", "token=a&b"}) {
    const std::string h = index_html(sample(), bad);
    EXPECT_NE(h.find("const token = '';"), std::string::npos) << bad;
    EXPECT_NE(h.find(R"(<img id="stream" src="/stream")"), std::string::npos) << bad;
    EXPECT_EQ(h.find("?token="), std::string::npos) << bad;
  }
}

}  // namespace
}  // namespace camstream
