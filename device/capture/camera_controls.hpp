// camera_controls.hpp - --control NAME=VALUE checked against what the camera says it accepts.
#pragma once

#include <string>
#include <vector>

namespace camstream {

// A camera control as the camera describes it, in terms free of any libcamera type, so the
// checks below are the same for every libcamera version and testable without a camera.
struct ControlRange {
  enum class Kind { kBool, kInteger, kFloat, kUnsupported };
  std::string name;
  Kind kind = Kind::kUnsupported;
  bool array = false;      // takes a comma-separated list of values
  bool has_range = false;  // min and max are known
  double min = 0;
  double max = 0;
  std::vector<double> values;  // when not empty: the only values allowed (menus, e.g. AwbMode)
};

// The control called `name` (case-sensitive, as libcamera spells it), or null with a sentence
// in `error` that lists the controls the camera has.
const ControlRange* find_control(const std::vector<ControlRange>& controls, const std::string& name,
                                 std::string& error);

// Parses `text` as a value for `control`: true/false/on/off/1/0 for booleans, a whole number
// for integers, a number for floats; a comma-separated list for arrays. Each value must lie
// within the control's range (and be one of its values when it lists them). False with a
// sentence in `error` that names the control and what it accepts.
bool parse_control_value(const ControlRange& control, const std::string& text,
                         std::vector<double>& out, std::string& error);

// "1 to 66666", "true or false", "one of 0, 1, 2": what a control accepts, for messages.
std::string describe_range(const ControlRange& control);

}  // namespace camstream
