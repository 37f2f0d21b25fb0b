// camera_controls_test.cpp - --control values checked against a camera's names and ranges.
#include "device/capture/camera_controls.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace camstream {
namespace {

std::vector<ControlRange> controls() {
  using K = ControlRange::Kind;
  std::vector<ControlRange> c(6);
  c[0] = {"ExposureTime", K::kInteger, false, true, 1, 66666, {}, {}, {}, {}};
  c[1] = {"AnalogueGain", K::kFloat, false, true, 1, 16, {}, {}, {}, {}};
  c[2] = {"AwbEnable", K::kBool, false, false, 0, 0, {}, {}, {}, {}};
  c[3] = {"AwbMode", K::kInteger, false, true, 0, 7, {0, 1, 2, 3}, {}, {}, {}};
  c[4] = {"ColourGains", K::kFloat, true, true, 0, 32, {}, {}, {}, {}};
  c[5] = {"ScalerCrop", K::kUnsupported, false, false, 0, 0, {}, {}, {}, {}};
  return c;
}

std::vector<double> parse_ok(const std::string& name, const std::string& text) {
  const auto all = controls();
  std::string error;
  const ControlRange* c = find_control(all, name, error);
  EXPECT_NE(c, nullptr) << error;
  std::vector<double> out;
  if (c) {
    EXPECT_TRUE(parse_control_value(*c, text, out, error)) << error;
  }
  return out;
}

std::string parse_error(const std::string& name, const std::string& text) {
  const auto all = controls();
  std::string error;
  const ControlRange* c = find_control(all, name, error);
  if (!c) return error;
  std::vector<double> out;
  EXPECT_FALSE(parse_control_value(*c, text, out, error)) << name << "=" << text;
  return error;
}

TEST(CameraControls, AcceptsValuesWithinTheirRange) {
  EXPECT_EQ(parse_ok("ExposureTime", "10000"), std::vector<double>{10000});
  EXPECT_EQ(parse_ok("ExposureTime", "66666"), std::vector<double>{66666});
  EXPECT_EQ(parse_ok("AnalogueGain", "2.5"), std::vector<double>{2.5});
  EXPECT_EQ(parse_ok("AwbEnable", "false"), std::vector<double>{0});
  EXPECT_EQ(parse_ok("AwbEnable", "on"), std::vector<double>{1});
  EXPECT_EQ(parse_ok("AwbMode", "3"), std::vector<double>{3});
  EXPECT_EQ(parse_ok("ColourGains", "1.5,2"), (std::vector<double>{1.5, 2}));
}

TEST(CameraControls, UnknownNameListsTheCamerasControls) {
  const std::string e = parse_error("Exposure", "1");
  EXPECT_NE(e.find("no control called 'Exposure'"), std::string::npos) << e;
  EXPECT_NE(e.find("ExposureTime, AnalogueGain"), std::string::npos) << e;
}

TEST(CameraControls, OutOfRangeSaysTheRange) {
  std::string e = parse_error("ExposureTime", "70000");
  EXPECT_NE(e.find("out of range"), std::string::npos) << e;
  EXPECT_NE(e.find("from 1 to 66666"), std::string::npos) << e;
  EXPECT_NE(parse_error("ExposureTime", "0").find("out of range"), std::string::npos);
  EXPECT_NE(parse_error("AnalogueGain", "16.5").find("out of range"), std::string::npos);
  e = parse_error("AwbMode", "5");
  EXPECT_NE(e.find("one of 0, 1, 2, 3"), std::string::npos) << e;
  EXPECT_NE(parse_error("ColourGains", "1,40").find("out of range"), std::string::npos);
}

TEST(CameraControls, MalformedValuesAreRefused) {
  EXPECT_NE(parse_error("ExposureTime", "1.5").find("not valid"), std::string::npos);
  EXPECT_NE(parse_error("ExposureTime", "fast").find("not valid"), std::string::npos);
  EXPECT_NE(parse_error("AnalogueGain", "nan").find("not valid"), std::string::npos);
  EXPECT_NE(parse_error("AwbEnable", "maybe").find("true or false"), std::string::npos);
  EXPECT_NE(parse_error("ExposureTime", "1,2").find("one value"), std::string::npos);
  EXPECT_NE(parse_error("ColourGains", "1,").find("not valid"), std::string::npos);
  EXPECT_NE(parse_error("ScalerCrop", "0").find("cannot set"), std::string::npos);
}

TEST(CameraControls, AMenuValueMayBeGivenByItsLabel) {
  ControlRange awb{"AwbMode", ControlRange::Kind::kInteger, false, true, 0, 5,
                   {0, 5},    {"Auto", "Daylight"},         {0},   {}};
  std::vector<double> out;
  std::string error;
  ASSERT_TRUE(parse_control_value(awb, "daylight", out, error)) << error;
  EXPECT_EQ(out, std::vector<double>{5});
  ASSERT_TRUE(parse_control_value(awb, "0", out, error)) << error;
  EXPECT_EQ(out, std::vector<double>{0});
  EXPECT_FALSE(parse_control_value(awb, "Cloudy", out, error));
  EXPECT_NE(error.find("one of 0 (Auto), 5 (Daylight)"), std::string::npos) << error;
}

TEST(CameraControls, LabelsDropTheWordsEveryEnumeratorBeginsWith) {
  EXPECT_EQ(labels_from_enumerators({"AwbAuto", "AwbDaylight", "AwbCustom"}),
            (std::vector<std::string>{"Auto", "Daylight", "Custom"}));
  // Cut at a word, not inside one ("AfModeMa...").
  EXPECT_EQ(labels_from_enumerators({"AfModeManual", "AfModeMacro"}),
            (std::vector<std::string>{"Manual", "Macro"}));
  EXPECT_EQ(labels_from_enumerators({"HdrModeOff", "HdrModeMultiExposure", "HdrModeNight"}),
            (std::vector<std::string>{"Off", "MultiExposure", "Night"}));
  EXPECT_EQ(labels_from_enumerators({"FaceDetectModeOff"}), std::vector<std::string>{"Off"});
  EXPECT_EQ(labels_from_enumerators({"On", "Off"}), (std::vector<std::string>{"On", "Off"}));
  EXPECT_TRUE(labels_from_enumerators({}).empty());
}

TEST(CameraControls, TheBuiltInTableNamesWellKnownMenusOnly) {
  EXPECT_EQ(builtin_menu_label("AwbMode", 5), "Daylight");
  EXPECT_EQ(builtin_menu_label("AeMeteringMode", 0), "CentreWeighted");
  EXPECT_EQ(builtin_menu_label("AfMode", 2), "Continuous");
  EXPECT_EQ(builtin_menu_label("HdrMode", 4), "Night");
  EXPECT_EQ(builtin_menu_label("AwbMode", 8), "");
  EXPECT_EQ(builtin_menu_label("AwbMode", -1), "");
  EXPECT_EQ(builtin_menu_label("ExposureTime", 0), "");
}

TEST(CameraControls, ValuesWrittenAsTextParseBackExactly) {
  const std::vector<ControlRange> c = controls();
  EXPECT_EQ(control_value_text(c[0], {20000}), "20000");
  EXPECT_EQ(control_value_text(c[1], {2.2}), "2.2");
  EXPECT_EQ(control_value_text(c[2], {0}), "false");
  EXPECT_EQ(control_value_text(c[4], {1.5, 0.1}), "1.5,0.1");
  for (const auto& [range, values] : {std::pair{c[1], std::vector<double>{4.0 / 3}},
                                      std::pair{c[4], std::vector<double>{0.1, 31.9}}}) {
    std::vector<double> back;
    std::string error;
    ASSERT_TRUE(parse_control_value(range, control_value_text(range, values), back, error))
        << error;
    EXPECT_EQ(back, values);
  }
}

}  // namespace
}  // namespace camstream
