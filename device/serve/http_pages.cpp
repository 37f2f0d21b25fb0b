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
  const std::string token = safe ? std::string(token_query) : std::string();
  const std::string q = token.empty() ? std::string() : "?" + token;
  const std::string title =
      f.have_pipeline ? "camstream - " + html_text(f.pipeline.source) : std::string("camstream");
  // The figures are filled in on the server too, so the page says something without script.
  // The controls are drawn by the script from GET /controls, so a camera's own appear as well;
  // their section stays hidden until then.
  return R"page(<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>)page" +
         title +
         R"page(</title>
<style>
body{margin:0;background:#111;color:#ddd;font:14px system-ui,sans-serif}
img{display:block;max-width:100%;height:auto;margin:0 auto;background:#000}
p{margin:.5em 1em}a{color:#9cf}
#controls{margin:0 1em 1em}#controls p{margin:.5em 0}
#ctl-list{display:grid;grid-template-columns:repeat(auto-fill,minmax(16em,1fr));gap:.75em 1.5em}
.ctl label{display:block;font-weight:600}.unit,.why{font-weight:normal;font-size:.9em;color:#999}
.ctl div{display:flex;gap:.5em;align-items:center}
.ctl input,.ctl select,#controls button{font:inherit;min-height:44px;box-sizing:border-box}
.ctl input[type=range]{flex:1;min-width:0;margin:0}
.ctl input[type=number],.ctl input[type=text]{width:7.5em}
.ctl input[type=checkbox]{width:28px;height:28px;margin:8px 0}
.ctl select{min-width:8em}#controls button{padding:0 1.5em}
.why{display:block}.refused{color:#f88}.ro{opacity:.6}
</style></head><body>
<img id="stream" src="/stream)page" +
         q + R"page(" alt="live stream">
<p id="figures">)page" +
         (f.have_pipeline ? html_text(f.pipeline.source) + " &middot; " : std::string()) +
         number(f.captured_fps) + " fps captured &middot; " +
         std::to_string(f.server.clients.size()) + " clients" +
         R"page(</p>
<p><a href="/snapshot)page" +
         q + R"page(">snapshot</a> &middot; <a href="/status)page" + q +
         R"page(">status</a> &middot; <a href="/metrics)page" + q + R"page(">metrics</a></p>
<section id="controls" hidden>
<div id="ctl-list"></div>
<p><button id="save" type="button">save</button> &middot;
<a id="still" href="/snapshot?size=full)page" +
         (token.empty() ? std::string() : "&amp;" + token) +
         R"page(">full-size still</a></p>
<p id="ctl-msg"></p>
</section>
<script>
const token = ')page" +
         token + R"page(';
// An address of this daemon with the page's token, if it has one, added to `query`.
function url(path, query) {
  const parts = [query, token].filter(Boolean);
  return path + (parts.length ? '?' + parts.join('&') : '');
}
async function poll() {
  try {
    const s = await (await fetch(url('/status'), {cache: 'no-store'})).json();
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

// The controls: one row per entry of GET /controls, changes sent with POST /controls.
const section = document.getElementById('controls');
const list = document.getElementById('ctl-list');
const msg = document.getElementById('ctl-msg');
let rows = {};      // name -> {c: the entry, set(value), why: its note, row}
let shape = '';     // what the drawn rows were made from; redrawn when it changes
let pending = {};   // changes not yet sent
let timer = 0;

function say(el, text, refused) {
  el.textContent = text;
  el.classList.toggle('refused', !!refused);
}

function build(c) {
  const row = document.createElement('div');
  row.className = 'ctl';
  row.dataset.name = c.name;
  const label = document.createElement('label');
  label.textContent = c.name + ' ';
  if (c.unit) label.append(Object.assign(document.createElement('span'), {className: 'unit', textContent: c.unit}));
  const box = document.createElement('div');
  const why = Object.assign(document.createElement('span'), {className: 'why'});
  row.append(label, box, why);
  const r = {c, why, row, inputs: []};
  const add = (tag, props) => {
    const e = Object.assign(document.createElement(tag), props);
    box.append(e);
    r.inputs.push(e);
    return e;
  };
  const items = c.type === 'menu' ? c.menu :
      c.type === 'size' && c.options ? c.options.map(o => ({value: o, label: o})) : null;
  if (c.type === 'bool' && !c.array) {
    const b = add('input', {type: 'checkbox'});
    r.set = v => { b.checked = !!v; };
    b.onchange = () => change(c.name, b.checked, 0);
  } else if (items && !c.array) {
    const s = add('select', {});
    for (const m of items) s.add(new Option(m.label, String(m.value)));
    r.set = v => {
      const t = String(v);
      if (![...s.options].some(o => o.value === t)) s.add(new Option(t, t));
      s.value = t;
    };
    s.onchange = () => {
      const m = items.find(m => String(m.value) === s.value);
      change(c.name, m ? m.value : s.value, 0);
    };
  } else if ((c.type === 'integer' || c.type === 'float') && !c.array) {
    const step = c.step || (c.type === 'integer' ? 1 : 'any');
    const ranged = typeof c.min === 'number' && typeof c.max === 'number' && c.max > c.min;
    const slider = ranged ? add('input', {type: 'range', min: c.min, max: c.max, step}) : null;
    const n = add('input', {type: 'number', step, inputMode: 'decimal'});
    if (ranged) Object.assign(n, {min: c.min, max: c.max});
    r.set = v => {
      n.value = v;
      if (slider) slider.value = v;
    };
    if (slider) {
      // While dragging, a change is sent once the slider rests; on release at once.
      slider.oninput = () => { n.value = slider.value; change(c.name, Number(slider.value), 300); };
      slider.onchange = () => change(c.name, Number(slider.value), 0);
    }
    n.oninput = () => { r.editing = true; };
    n.onchange = () => {
      r.editing = false;
      if (n.value !== '') change(c.name, Number(n.value), 0);
    };
  } else {
    // A size without a list, an array ("1.5,2") or a kind of value this page does not know:
    // its text, as the daemon takes it.
    const t = add('input', {type: 'text', spellcheck: false});
    r.set = v => { t.value = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(',') : String(v); };
    t.oninput = () => { r.editing = true; };
    t.onchange = () => { r.editing = false; change(c.name, t.value, 0); };
  }
  if (c.read_only) {
    for (const e of r.inputs) Object.assign(e, {disabled: true, title: c.read_only});
    row.title = c.read_only;
    row.classList.add('ro');
    say(why, 'read-only: ' + c.read_only);
  }
  rows[c.name] = r;
  return row;
}

// Re-reads the controls and shows their values, except where a change is being made.
async function load() {
  let model;
  try {
    const answer = await fetch(url('/controls'), {cache: 'no-store'});
    if (!answer.ok) return;
    model = await answer.json();
  } catch (e) {
    return;
  }
  const cs = model.controls || [];
  const s = JSON.stringify(cs.map(c => [c.name, c.type, c.array, c.min, c.max, c.step, c.menu, c.options, c.read_only]));
  if (s !== shape) {
    shape = s;
    rows = {};
    list.replaceChildren(...cs.map(build));
  }
  for (const c of cs) {
    const r = rows[c.name];
    r.c = c;
    if (!(c.name in pending) && !r.editing) r.set(c.value);
  }
  const still = document.getElementById('still');
  still.textContent = 'full-size still' + (model.still ? ' (' + model.still.width + 'x' + model.still.height + ')' : '');
  section.hidden = false;
}

function change(name, value, delay) {
  pending[name] = value;
  clearTimeout(timer);
  timer = setTimeout(() => send(false), delay);
}

// POSTs what is pending (the page's changes), with ?persist=1 to save them too.
async function send(persist) {
  clearTimeout(timer);
  // The daemon saves every change made since it started: a save with nothing new sends {}.
  const values = pending;
  pending = {};
  if (!persist && !Object.keys(values).length) return;
  let status = 0, answer = null;
  try {
    const reply = await fetch(url('/controls', persist ? 'persist=1' : ''), {
      method: 'POST', cache: 'no-store',
      headers: {'Content-Type': 'application/json'}, body: JSON.stringify(values)});
    status = reply.status;
    answer = await reply.json().catch(() => null);
  } catch (e) {
    say(msg, 'no answer from the camera', true);
    return;
  }
  if (!answer) {
    say(msg, 'the camera answered ' + status, true);
  } else {
    for (const name of Object.keys(answer.applied || {}))
      if (rows[name]) say(rows[name].why, '');
    const other = [];
    for (const [name, why] of Object.entries(answer.refused || {})) {
      if (rows[name]) say(rows[name].why, why, true);
      else other.push(name + ': ' + why);
    }
    if (status === 403) {
      say(msg, 'This token only allows watching: changing controls needs a control token.', true);
    } else if (answer.save_error) {
      say(msg, 'not saved: ' + answer.save_error, true);
    } else if (other.length) {
      say(msg, other.join('; '), true);
    } else {
      say(msg, answer.saved ? 'saved' : '', false);
    }
  }
  await load();
}

document.getElementById('save').onclick = () => send(true);
load();
setInterval(load, 5000);
window.addEventListener('focus', load);
document.addEventListener('visibilitychange', () => { if (!document.hidden) load(); });
</script>
</body></html>
)page";
}

}  // namespace camstream
