// controls.hpp - every control of the daemon and of its camera in one model: listed with type,
// range and value, checked, applied while the stream runs, announced, saved on request.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "device/capture/frame_source.hpp"
#include "device/serve/access.hpp"

namespace camstream {

class EncoderPool;

// What a set of changes came to: per control, the value it has now, or why it was refused.
struct ControlOutcome {
  nlohmann::json applied = nlohmann::json::object();  // name -> value now
  nlohmann::json refused = nlohmann::json::object();  // name -> one sentence
  bool role_refused = false;                          // a refusal was for want of the control role
  bool saved = false;      // persisted to the config file (persist was asked and worked)
  std::string save_error;  // persist was asked and failed: why
  nlohmann::json to_json() const;
};

// Bounds of what one request may carry: a client cannot make the daemon parse more.
inline constexpr std::size_t kMaxControlsPerRequest = 64;
inline constexpr std::size_t kMaxControlNameBytes = 64;

// The daemon's own controls (quality, fps, size, hflip, vflip, rotate) beside every control
// the camera offers (FrameSource::camera_controls), each with its type, range or menu, default
// and current value. Used on the server's event loop only; the source and the encoders take
// their changes from there (FrameSource::set_mode and set_camera_controls, EncoderPool's
// quality), so a change is live from the next frame or request without a restart.
class Controls {
 public:
  // The settings the daemon started with are the defaults of its own controls. `config_path`:
  // where persist() writes (empty: nowhere).
  Controls(FrameSource& source, EncoderPool& encoders, std::string config_path);

  // {"controls": [...], "still": {"width": W, "height": H}}: see docs/http.md#controls.
  nlohmann::json list() const;
  // One control's entry as list() gives it; null when there is no such control.
  nlohmann::json describe(const std::string& name) const;

  // Applies {"NAME": VALUE, ...}: numbers, booleans, arrays, menu labels or the text forms
  // --control takes. Each control is applied or refused on its own (unknown, wrong type, out
  // of range, read-only, or `role` is not the control role); the listeners hear of the
  // applied ones. `persist`: then save every value changed at run time to the config file
  // (the control role only; with no values, that is all the request does).
  ControlOutcome apply(const nlohmann::json& values, Role role, bool persist = false);
  // The same for text values, as a GET query carries them (NAME=VALUE pairs, decoded).
  ControlOutcome apply_text(const std::vector<std::pair<std::string, std::string>>& values,
                            Role role, bool persist = false);

  // Called with {"NAME": VALUE, ...} after every change that applied something, whoever made
  // it, so that every client can stay in step. Returns an id for unsubscribe().
  using Listener = std::function<void(const nlohmann::json& changed)>;
  std::uint64_t subscribe(Listener listener);
  void unsubscribe(std::uint64_t id);

  // A full-size still from the source (FrameSource::request_still).
  bool request_still(std::string& error) { return source_.request_still(error); }
  std::pair<int, int> still_size() const { return source_.still_size(); }

  int quality() const;
  double fps() const { return source_.mode().fps; }

 private:
  // A value to apply, checked: for the daemon's own controls the mode or quality it makes.
  struct Checked {
    std::string name;
    nlohmann::json shown;       // the value as reported back
    std::vector<double> value;  // camera controls
    std::string config_value;   // as the config file writes it
  };
  // Checks one value given as text; a sentence in `error` when refused.
  bool check(const std::string& name, const std::string& text, Role role, Checked& out,
             std::string& error, bool& role_error) const;
  ControlOutcome apply_checked(std::vector<Checked> changes, ControlOutcome outcome, bool persist);
  bool save(std::string& error) const;

  FrameSource& source_;
  EncoderPool& encoders_;
  const std::string config_path_;
  const SourceMode start_mode_;
  const int start_quality_;
  // Values changed at run time, by name, as the config file writes them (for persist()).
  std::map<std::string, std::string> changed_;
  std::map<std::uint64_t, Listener> listeners_;
  std::uint64_t next_listener_ = 1;
};

// `j` as compact JSON text. Strings that came from a client may hold invalid UTF-8, on which
// nlohmann's dump() throws: here they get U+FFFD instead, so no client can make it throw.
std::string json_text(const nlohmann::json& j);

// A JSON value as the text --control would take: 10000, true, 1.5,2 for an array, a string
// as it is. False for objects and nested arrays.
bool json_to_control_text(const nlohmann::json& value, std::string& text);

}  // namespace camstream
