// camera_controls.hpp - --control NAME=VALUE checked against what the camera says it accepts.
#pragma once

#include <string>
#include <string_view>
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
  // Parallel to `values` when the camera names them (AwbMode's "Auto", "Daylight"...); empty
  // when it does not. A value may be given by its label wherever a number is accepted.
  std::vector<std::string> labels;
  std::vector<double> default_value;  // the camera's default; empty when it gives none
  // Set by the daemon itself, not by clients (FrameDurationLimits follows `fps`): listed with
  // the reason, refused when set.
  std::string read_only;
};

// A camera control as clients see it: what it takes and its value now (the last value set,
// by --control or at run time, else the camera's default; empty when neither is known).
struct CameraControlState {
  ControlRange range;
  std::vector<double> value;
};

// The control called `name` (case-sensitive, as libcamera spells it), or null with a sentence
// in `error` that lists the controls the camera has.
const ControlRange* find_control(const std::vector<ControlRange>& controls, const std::string& name,
                                 std::string& error);

// Parses `text` as a value for `control`: true/false/on/off/1/0 for booleans, a whole number
// for integers, a number for floats; a comma-separated list for arrays. A menu's value may also
// be given by its label, in any case ("daylight" for AwbMode 5). Each value must lie within the
// control's range (and be one of its values when it lists them). False with a sentence in
// `error` that names the control and what it accepts.
bool parse_control_value(const ControlRange& control, const std::string& text,
                         std::vector<double>& out, std::string& error);

// parse_control_value() for values that did not come from the command line (the control API):
// the same rules, the same sentences without "--control NAME=VALUE: " before them.
bool check_control_value(const ControlRange& control, std::string_view text,
                         std::vector<double>& out, std::string& error);

// `values` as parse_control_value() takes them back, exactly: true or false, whole numbers as
// such, other numbers in their shortest exact form; comma-separated for an array.
std::string control_value_text(const ControlRange& control, const std::vector<double>& values);

// "1 to 66666", "true or false", "one of 0, 1, 2" (with labels: "one of 0 (Auto), 1 (Daylight)"):
// what a control accepts, for messages.
std::string describe_range(const ControlRange& control);

// A menu's labels from its enumerators' names as libcamera spells them: the words every name
// begins with are dropped ("AwbAuto", "AwbDaylight" -> "Auto", "Daylight"), so a label reads
// the same whether it came from libcamera or from builtin_menu_label(). Same order as `names`.
std::vector<std::string> labels_from_enumerators(const std::vector<std::string>& names);

// The label of `value` of the well-known menu control `control` (AwbMode, AeExposureMode,
// AfMode, HdrMode...), for libcamera versions whose controls do not name their values; empty
// when the control or the value is not one this table knows.
std::string builtin_menu_label(const std::string& control, int value);

}  // namespace camstream
