// http_pages.cpp - the /status, /metrics and / renderings of the figures.
#include "device/serve/http_pages.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <utility>

namespace camstream {
namespace {

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

std::string number(std::uint64_t v) {
  return std::to_string(v);
}

// A JSON string literal; control characters escaped so any peer name or source text is safe.
std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// A Prometheus label value: backslash, double quote and newline escaped.
std::string label_value(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// Text for an HTML element; the page shows only figures, but a source name is still text.
std::string html_text(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

void metric(std::string& out, const char* name, const char* type, const char* help,
            const std::string& value) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
         name + " " + value + "\n";
}

// A stage's figures over the whole run, as /status and /metrics give them.
struct Stage {
  const char* name;
  std::uint64_t count;
  double total_s;
  double p50_ms;
  double p99_ms;
};

std::array<Stage, 3> stages_of(const Figures& f) {
  const auto stage = [](const char* name, const StageTimes::Snapshot& t) {
    return Stage{name, t.count, static_cast<double>(t.total_us) / 1e6, t.percentile_ms(0.5),
                 t.percentile_ms(0.99)};
  };
  return {stage("queue", f.pipeline.queue), stage("encode", f.pipeline.encode),
          stage("send", f.server.send)};
}

}  // namespace

std::string status_json(const Figures& f, bool show_peers) {
  std::string out = "{";
  const ServerFigures& s = f.server;
  if (f.have_pipeline) {
    const PipelineFigures& p = f.pipeline;
    out += "\"source\":" + json_string(p.source) + ",\"width\":" + std::to_string(p.width) +
           ",\"height\":" + std::to_string(p.height) + ",\"target_fps\":" + number(p.target_fps) +
           ",\"quality\":" + std::to_string(p.quality) +
           ",\"workers\":" + std::to_string(p.workers) + ",\"stages\":{";
    bool first_stage = true;
    for (const Stage& st : stages_of(f)) {
      out += std::string(first_stage ? "" : ",") + "\"" + st.name +
             "\":{\"count\":" + number(st.count) + ",\"p50_ms\":" + number(st.p50_ms) +
             ",\"p99_ms\":" + number(st.p99_ms) + "}";
      first_stage = false;
    }
    out += "},";
  }
  out += "\"uptime_s\":" + number(f.uptime_s) + ",\"fps\":{\"captured\":" +
         (f.have_pipeline ? number(f.captured_fps) : std::string("null")) +
         ",\"sent\":" + number(f.sent_fps) + "},\"frames\":{";
  if (f.have_pipeline) {
    const PipelineFigures& p = f.pipeline;
    out += "\"captured\":" + number(p.captured) + ",\"dropped\":" + number(p.dropped) +
           ",\"over_rate\":" + number(p.over_rate) + ",\"encoded\":" + number(p.encoded) +
           ",\"encode_failed\":" + number(p.encode_failed) + ",\"late\":" + number(p.late) + ",";
  }
  const LimitFigures& l = s.limits;
  const DefenceFigures& d = s.defences;
  out += "\"sent\":" + number(s.frames_sent) + ",\"skipped\":" + number(s.frames_skipped) +
         "},\"connections\":" + number(s.connections) + ",\"accepted\":" + number(s.accepted) +
         ",\"refused\":" + number(s.refused) + ",\"auth_failures\":" + number(s.auth_failures) +
         ",\"handshakes\":" + number(s.handshakes) +
         ",\"limits\":{\"max_clients\":" + std::to_string(l.max_clients) +
         ",\"max_handshakes\":" + std::to_string(l.max_handshakes) +
         ",\"max_per_address\":" + std::to_string(l.max_per_address) +
         ",\"handshake_timeout_s\":" + number(l.handshake_timeout_s) +
         ",\"write_timeout_s\":" + number(l.write_timeout_s) +
         "},\"defences\":{\"handshakes_dropped\":" + number(d.handshakes_dropped) +
         ",\"over_address_limit\":" + number(d.over_address_limit) +
         ",\"over_client_limit\":" + number(d.over_client_limit) + ",\"shed\":" + number(d.shed) +
         ",\"accept_failures\":" + number(d.accept_failures) + ",\"stalled\":" + number(d.stalled) +
         ",\"log_lines_held_back\":" + number(d.log_lines_held_back) + "},\"clients\":[";
  bool first = true;
  for (const ClientFigures& c : s.clients) {
    if (!first) out += ",";
    first = false;
    // Who watches is the owner's business: the view role sees that someone does, not who.
    out += std::string("{") + (show_peers ? "\"peer\":" + json_string(c.peer) + "," : "") +
           "\"kind\":" + json_string(c.kind) + ",\"connected_s\":" + number(c.connected_s) +
           ",\"fps\":" + number(c.fps) + ",\"sent\":" + number(c.sent) +
           ",\"skipped\":" + number(c.skipped) + "}";
  }
  out += "]}\n";
  return out;
}

std::string metrics_text(const Figures& f) {
  std::string out;
  const ServerFigures& s = f.server;
  if (f.have_pipeline) {
    const PipelineFigures& p = f.pipeline;
    out +=
        "# HELP camstream_info The source being served; the value is always 1.\n"
        "# TYPE camstream_info gauge\ncamstream_info{source=\"" +
        label_value(p.source) + "\",width=\"" + std::to_string(p.width) + "\",height=\"" +
        std::to_string(p.height) + "\"} 1\n";
    metric(out, "camstream_frames_captured_total", "counter", "Frames the source captured.",
           number(p.captured));
    metric(out, "camstream_frames_dropped_total", "counter",
           "Captured frames not encoded because every encoder was busy.", number(p.dropped));
    metric(out, "camstream_frames_over_rate_total", "counter",
           "Frames the camera delivered beyond the frame rate asked for, let go before encoding.",
           number(p.over_rate));
    metric(out, "camstream_frames_encoded_total", "counter", "Frames compressed to JPEG.",
           number(p.encoded));
    metric(out, "camstream_frames_encode_failed_total", "counter",
           "Frames the JPEG encoder failed on.", number(p.encode_failed));
    metric(out, "camstream_frames_late_total", "counter",
           "Encoded frames dropped because a newer one was already published.", number(p.late));
    metric(out, "camstream_encode_seconds_total", "counter", "Time spent compressing frames.",
           number(static_cast<double>(p.encode_us_total) / 1e6));
    metric(out, "camstream_capture_fps", "gauge", "Frames captured per second, recently.",
           number(f.captured_fps));
    out +=
        "# HELP camstream_stage_seconds Time per frame in a pipeline stage since the start: "
        "queue (waiting for an encoder), encode, send (one frame write, per client).\n"
        "# TYPE camstream_stage_seconds summary\n";
    // Microsecond resolution: number() keeps only milliseconds.
    const auto secs = [](double v) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.6f", v);
      return std::string(buf);
    };
    for (const Stage& st : stages_of(f)) {
      const std::string label = std::string("stage=\"") + st.name + "\"";
      out += "camstream_stage_seconds{" + label + ",quantile=\"0.5\"} " + secs(st.p50_ms / 1000) +
             "\n";
      out += "camstream_stage_seconds{" + label + ",quantile=\"0.99\"} " + secs(st.p99_ms / 1000) +
             "\n";
      out += "camstream_stage_seconds_sum{" + label + "} " + secs(st.total_s) + "\n";
      out += "camstream_stage_seconds_count{" + label + "} " + number(st.count) + "\n";
    }
  }
  metric(out, "camstream_sent_fps", "gauge", "Frames sent per second over all clients, recently.",
         number(f.sent_fps));
  metric(out, "camstream_frames_sent_total", "counter", "Frames sent over all clients.",
         number(s.frames_sent));
  metric(out, "camstream_frames_skipped_total", "counter",
         "Frames a slow client skipped because a newer one replaced them.",
         number(s.frames_skipped));
  metric(out, "camstream_clients", "gauge", "Clients receiving a stream.",
         number(static_cast<std::uint64_t>(s.clients.size())));
  metric(out, "camstream_connections", "gauge", "Open connections of any kind.",
         number(s.connections));
  metric(out, "camstream_connections_accepted_total", "counter", "Connections accepted.",
         number(s.accepted));
  metric(out, "camstream_connections_refused_total", "counter",
         "Connections closed unserved: not a protocol spoken here, a bad request, silent, over "
         "a limit, or shed.",
         number(s.refused));
  metric(out, "camstream_handshakes", "gauge",
         "Open connections that have not yet said what they want.", number(s.handshakes));
  const DefenceFigures& d = s.defences;
  const struct {
    const char* name;
    const char* help;
    std::uint64_t value;
  } defences[] = {
      {"camstream_handshakes_dropped_total",
       "The oldest handshake, closed to make room for a newer connection.", d.handshakes_dropped},
      {"camstream_connections_over_address_limit_total",
       "Connections refused at accept: their address held --max-per-address already.",
       d.over_address_limit},
      {"camstream_connections_over_client_limit_total",
       "Connections refused after saying what they wanted: --max-clients were served.",
       d.over_client_limit},
      {"camstream_connections_shed_total",
       "Waiting connections reset unserved while out of file descriptors.", d.shed},
      {"camstream_accept_failures_total",
       "accept() failures (out of file descriptors, memory); each pauses accepting.",
       d.accept_failures},
      {"camstream_clients_stalled_total",
       "Clients cut because their socket took no byte for --write-timeout.", d.stalled},
      {"camstream_log_lines_held_back_total",
       "Log lines about clients held back by the per-address rate limit.", d.log_lines_held_back},
  };
  for (const auto& defence : defences)
    metric(out, defence.name, "counter", defence.help, number(defence.value));
  const LimitFigures& l = s.limits;
  out +=
      "# HELP camstream_limit The server's limits as set by its flags (timeouts in seconds).\n"
      "# TYPE camstream_limit gauge\n"
      "camstream_limit{limit=\"max_clients\"} " +
      std::to_string(l.max_clients) + "\ncamstream_limit{limit=\"max_handshakes\"} " +
      std::to_string(l.max_handshakes) + "\ncamstream_limit{limit=\"max_per_address\"} " +
      std::to_string(l.max_per_address) + "\ncamstream_limit{limit=\"handshake_timeout\"} " +
      number(l.handshake_timeout_s) + "\ncamstream_limit{limit=\"write_timeout\"} " +
      number(l.write_timeout_s) + "\n";
  metric(out, "camstream_auth_failures_total", "counter",
         "Requests and handshakes whose credentials matched none.", number(s.auth_failures));
  metric(out, "camstream_uptime_seconds", "gauge", "Seconds since the server started.",
         number(f.uptime_s));
  return out;
}

std::string index_html(const Figures& f, std::string_view token_query) {
  // A page opened with ?token= passes it on in its own addresses (an <img> sends no header).
  // Only URL-safe characters are passed: then it needs no escaping in HTML or in the script.
  const bool safe = std::all_of(token_query.begin(), token_query.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           (c != 0 && std::strchr("-._~%=", c) != nullptr);
  });
  std::string q;
  if (!token_query.empty() && safe) q.append("?").append(token_query);
  const std::string title =
      f.have_pipeline ? "camstream - " + html_text(f.pipeline.source) : std::string("camstream");
  // The figures are filled in on the server too, so the page says something without script.
  return R"(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>)" +
         title +
         R"(</title>
<style>
body{margin:0;background:#111;color:#ddd;font:14px system-ui,sans-serif}
img{display:block;max-width:100%;height:auto;margin:0 auto;background:#000}
p{margin:.5em 1em}a{color:#9cf}
</style></head><body>
<img id="stream" src="/stream)" +
         q + R"(" alt="live stream">
<p id="figures">)" +
         (f.have_pipeline ? html_text(f.pipeline.source) + " &middot; " : std::string()) +
         number(f.captured_fps) + " fps captured &middot; " +
         std::to_string(f.server.clients.size()) + " clients" +
         R"(</p>
<p><a href="/snapshot)" +
         q + R"(">snapshot</a> &middot; <a href="/status)" + q +
         R"(">status</a> &middot; <a href="/metrics)" + q + R"(">metrics</a></p>
<script>
async function poll() {
  try {
    const s = await (await fetch('/status)" +
         q + R"(', {cache: 'no-store'})).json();
    const src = s.source ? s.source + ' \u00b7 ' : '';
    const cap = s.fps.captured === null ? '' : s.fps.captured.toFixed(1) + ' fps captured \u00b7 ';
    document.getElementById('figures').textContent = src + cap +
        s.fps.sent.toFixed(1) + ' fps sent \u00b7 ' + s.clients.length + ' clients \u00b7 up ' +
        Math.round(s.uptime_s) + ' s';
  } catch (e) {
    document.getElementById('figures').textContent = 'no answer from the camera';
  }
}
poll();
setInterval(poll, 1000);
</script>
</body></html>
)";
}

}  // namespace camstream
