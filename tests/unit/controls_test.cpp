// controls_test.cpp - the control model over the real test pattern and encoders: listing,
// checking, applying, roles, announcements; the URL forms; saving to the config file.
#include "device/control/controls.hpp"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "device/capture/pattern_source.hpp"
#include "device/config.hpp"
#include "device/control/control_query.hpp"
#include "device/encode/encoder_pool.hpp"
#include "device/serve/hub.hpp"

namespace camstream {
namespace {

using nlohmann::json;

struct Pipeline {
  Hub hub;
  EncoderPool encoders{1, 80, hub};
  PatternSource source{640, 480, 30, 3};
  Controls controls{source, encoders, ""};
};

json entry(const json& listing, const std::string& name) {
  for (const json& c : listing["controls"]) {
    if (c["name"] == name) return c;
  }
  return nullptr;
}

TEST(Controls, ListsTheDaemonsOwnWithTypeRangeDefaultAndValue) {
  Pipeline p;
  const json listing = p.controls.list();
  const json quality = entry(listing, "quality");
  EXPECT_EQ(quality["type"], "integer");
  EXPECT_EQ(quality["min"], 1);
  EXPECT_EQ(quality["max"], 100);
  EXPECT_EQ(quality["default"], 80);
  EXPECT_EQ(quality["value"], 80);
  EXPECT_EQ(entry(listing, "fps")["value"], 30.0);
  EXPECT_EQ(entry(listing, "size")["value"], "640x480");
  EXPECT_EQ(entry(listing, "rotate")["type"], "menu");
  // The test pattern cannot flip: listed, with the reason, as read-only.
  EXPECT_TRUE(entry(listing, "hflip")["read_only"].is_string());
  EXPECT_EQ(listing["still"]["width"], 1920);
  EXPECT_TRUE(entry(listing, "ExposureTime").is_null()) << "the test pattern has no camera";
}

TEST(Controls, AppliesQualityRateAndSizeLive) {
  Pipeline p;
  const ControlOutcome o =
      p.controls.apply(json{{"quality", 20}, {"fps", 12.5}, {"size", "320x240"}}, Role::kControl);
  EXPECT_TRUE(o.refused.empty()) << o.to_json().dump();
  EXPECT_EQ(o.applied["quality"], 20);
  EXPECT_EQ(o.applied["fps"], 12.5);
  EXPECT_EQ(o.applied["size"], "320x240");
  EXPECT_EQ(p.encoders.quality(), 20);
  const SourceMode m = p.source.mode();
  EXPECT_EQ(m.fps, 12.5);
  EXPECT_EQ(m.width, 320);
  EXPECT_EQ(m.height, 240);
  EXPECT_EQ(entry(p.controls.list(), "quality")["value"], 20);
  EXPECT_EQ(entry(p.controls.list(), "quality")["default"], 80);
}

TEST(Controls, TheRunningPatternTakesTheNewSize) {
  Hub hub;
  EncoderPool encoders(1, 80, hub);
  PatternSource source(640, 480, 100, 3);
  Controls controls(source, encoders, "");
  encoders.start();
  source.start(encoders);
  ASSERT_TRUE(controls.apply_text({{"size", "320x240"}}, Role::kControl).refused.empty());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  EncodedFramePtr latest;
  while (std::chrono::steady_clock::now() < deadline) {
    latest = hub.latest();
    if (latest && latest->header.width == 320) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  source.stop();
  encoders.stop();
  ASSERT_TRUE(latest);
  EXPECT_EQ(latest->header.width, 320);
  EXPECT_EQ(latest->header.height, 240);
  EXPECT_EQ(source.width(), 320);
}

TEST(Controls, RefusesEachBadValueWithItsReasonAndAppliesTheRest) {
  Pipeline p;
  const ControlOutcome o = p.controls.apply(json{{"quality", 0},
                                                 {"fps", "fast"},
                                                 {"size", "10x10"},
                                                 {"vflip", true},
                                                 {"Gain", 2},
                                                 {"rotate", 90},
                                                 {"noise", json::object()}},
                                            Role::kControl);
  EXPECT_TRUE(o.applied.empty());
  EXPECT_NE(o.refused["quality"].get<std::string>().find("1 to 100"), std::string::npos);
  EXPECT_NE(o.refused["fps"].get<std::string>().find("out of range"), std::string::npos);
  EXPECT_NE(o.refused["size"].get<std::string>().find("320x240"), std::string::npos);
  EXPECT_NE(o.refused["vflip"].get<std::string>().find("read-only"), std::string::npos);
  EXPECT_NE(o.refused["Gain"].get<std::string>().find("no such control"), std::string::npos);
  EXPECT_NE(o.refused["rotate"].get<std::string>().find("read-only"), std::string::npos);
  EXPECT_NE(o.refused["noise"].get<std::string>().find("must be a number"), std::string::npos);
  EXPECT_FALSE(o.role_refused);
  EXPECT_EQ(p.encoders.quality(), 80);
  EXPECT_EQ(p.source.mode().width, 640);
}

TEST(Controls, TheViewRoleMayListButNotSet) {
  Pipeline p;
  const ControlOutcome o = p.controls.apply(json{{"quality", 20}}, Role::kView);
  EXPECT_TRUE(o.applied.empty());
  EXPECT_TRUE(o.role_refused);
  EXPECT_NE(o.refused["quality"].get<std::string>().find("control role"), std::string::npos);
  EXPECT_EQ(p.encoders.quality(), 80);
}

TEST(Controls, BoundsWhatOneRequestCarries) {
  Pipeline p;
  json many = json::object();
  for (std::size_t i = 0; i <= kMaxControlsPerRequest; ++i)
    many["c" + std::to_string(i)] = 1;
  EXPECT_TRUE(p.controls.apply(many, Role::kControl).refused.contains("(request)"));
  EXPECT_TRUE(p.controls.apply(json::array({1}), Role::kControl).refused.contains("(request)"));
  EXPECT_TRUE(p.controls.apply_text({}, Role::kControl).refused.contains("(request)"));
  const std::string long_name(kMaxControlNameBytes + 1, 'x');
  const ControlOutcome o = p.controls.apply_text({{long_name, "1"}}, Role::kControl);
  ASSERT_EQ(o.refused.size(), 1u);
  EXPECT_LT(o.refused.begin().key().size(), kMaxControlNameBytes + 8);
}

TEST(Controls, TellsEveryListenerWhatChangedUntilItLeaves) {
  Pipeline p;
  std::vector<json> heard_a, heard_b;
  const std::uint64_t a = p.controls.subscribe([&](const json& j) { heard_a.push_back(j); });
  p.controls.subscribe([&](const json& j) { heard_b.push_back(j); });
  p.controls.apply(json{{"quality", 30}, {"bogus", 1}}, Role::kControl);
  p.controls.apply(json{{"bogus", 1}}, Role::kControl);  // nothing applied: nothing said
  p.controls.unsubscribe(a);
  p.controls.apply(json{{"quality", 40}}, Role::kControl);
  ASSERT_EQ(heard_a.size(), 1u);
  EXPECT_EQ(heard_a[0], (json{{"quality", 30}}));
  ASSERT_EQ(heard_b.size(), 2u);
  EXPECT_EQ(heard_b[1], (json{{"quality", 40}}));
}

TEST(Controls, PersistsOnlyWhenAskedAndSaysWhyItCannot) {
  const std::string path = ::testing::TempDir() + "controls_test.conf";
  {
    std::ofstream f(path);
    f << "# kept\nquality = 80\nlisten = 127.0.0.1:8080\n";
  }
  Hub hub;
  EncoderPool encoders(1, 80, hub);
  PatternSource source(640, 480, 30, 3);
  Controls controls(source, encoders, path);
  controls.apply(json{{"quality", 50}}, Role::kControl);
  std::stringstream before;
  before << std::ifstream(path).rdbuf();
  EXPECT_EQ(before.str(), "# kept\nquality = 80\nlisten = 127.0.0.1:8080\n");
  const ControlOutcome o = controls.apply(json{{"fps", 10}}, Role::kControl, true);
  EXPECT_TRUE(o.saved) << o.save_error;
  std::stringstream after;
  after << std::ifstream(path).rdbuf();
  EXPECT_EQ(after.str(),
            "# kept\nquality = 50\nlisten = 127.0.0.1:8080\n"
            "# saved at run time (POST /controls?persist=1)\nfps = 10\n");

  // Watching only: nothing is saved, with or without values; {} with persist only saves.
  {
    std::ofstream f(path);
    f << "quality = 80\n";
  }
  controls.apply(json{{"quality", 33}}, Role::kControl);
  for (const json& values : {json::object(), json{{"fps", 5}}}) {
    const ControlOutcome view = controls.apply(values, Role::kView, true);
    EXPECT_FALSE(view.saved);
    EXPECT_TRUE(view.role_refused);
    EXPECT_EQ(view.save_error, "saving needs the control role");
  }
  std::stringstream unchanged;
  unchanged << std::ifstream(path).rdbuf();
  EXPECT_EQ(unchanged.str(), "quality = 80\n");
  const ControlOutcome only_save = controls.apply(json::object(), Role::kControl, true);
  EXPECT_TRUE(only_save.saved) << only_save.to_json().dump();
  EXPECT_TRUE(only_save.refused.empty());
  std::stringstream saved;
  saved << std::ifstream(path).rdbuf();
  EXPECT_NE(saved.str().find("quality = 33\n"), std::string::npos) << saved.str();
  std::remove(path.c_str());

  Pipeline nowhere;  // started with --config ""
  const ControlOutcome refused =
      nowhere.controls.apply(json{{"quality", 50}}, Role::kControl, true);
  EXPECT_FALSE(refused.saved);
  EXPECT_NE(refused.save_error.find("--config"), std::string::npos);
  EXPECT_EQ(refused.applied["quality"], 50) << "the change itself still applies";
}

TEST(Controls, JsonValuesBecomeControlText) {
  std::string t;
  EXPECT_TRUE(json_to_control_text(json(10000), t));
  EXPECT_EQ(t, "10000");
  EXPECT_TRUE(json_to_control_text(json(true), t));
  EXPECT_EQ(t, "true");
  EXPECT_TRUE(json_to_control_text(json::array({1.5, 2}), t));
  EXPECT_EQ(t, "1.5,2");
  EXPECT_TRUE(json_to_control_text(json("Daylight"), t));
  EXPECT_EQ(t, "Daylight");
  EXPECT_FALSE(json_to_control_text(json::object(), t));
  EXPECT_FALSE(json_to_control_text(json::array(), t));
  EXPECT_FALSE(json_to_control_text(json::array({json::array({1})}), t));
  EXPECT_FALSE(json_to_control_text(json(nullptr), t));
}

TEST(Controls, JsonTextNeverThrowsOnAClientsBytes) {
  const json j = {{"refused", {{std::string("\xff\xfe"), "no such control"}}}};
  EXPECT_EQ(json_text(j), "{\"refused\":{\"\xef\xbf\xbd\xef\xbf\xbd\":\"no such control\"}}");
}

TEST(ConfigUpdate, ReplacesInPlaceDropsRepeatsAndAppendsTheNew) {
  const std::string text =
      "# comment\nquality = 80\ncontrol = ExposureTime=1000\ncontrol = AnalogueGain=2\n"
      "quality = \"90\"\n\nfps = 30";
  const std::string out = update_config_text(
      text, {{"quality", "20", 0}, {"control", "AnalogueGain=4", 0}, {"size", "640x480", 0}});
  EXPECT_EQ(out,
            "# comment\nquality = 20\ncontrol = ExposureTime=1000\ncontrol = AnalogueGain=4\n\n"
            "fps = 30\n# saved at run time (POST /controls?persist=1)\nsize = 640x480\n");
  std::vector<ConfigEntry> entries;
  std::string error;
  EXPECT_TRUE(parse_config_text(out, "x", entries, error)) << error;
}

TEST(ControlQuery, CamstreamsOwnFormDecodedAndTokenSkipped) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string error;
  ASSERT_TRUE(controls_from_query("/control",
                                  "quality=70&AwbMode=Daylight&token=abc&persist=1&"
                                  "size=640x480&Name=a%20b+c",
                                  {}, out, error))
      << error;
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0], (std::pair<std::string, std::string>{"quality", "70"}));
  EXPECT_EQ(out[1].second, "Daylight");
  EXPECT_EQ(out[3].second, "a b c");
  EXPECT_FALSE(controls_from_query("/control", "quality", {}, out, error));
  EXPECT_NE(error.find("NAME=VALUE"), std::string::npos);
  EXPECT_FALSE(controls_from_query("/control", "q=%G0", {}, out, error));
  std::string many;
  for (std::size_t i = 0; i <= kMaxQueryPairs; ++i)
    many += "a=1&";
  EXPECT_FALSE(controls_from_query("/control", many, {}, out, error));
}

TEST(ControlQuery, OtherStreamersForms) {
  std::vector<std::pair<std::string, std::string>> out;
  std::string error;
  ASSERT_TRUE(
      controls_from_query("/option", "exposuretime=500", {"quality", "ExposureTime"}, out, error));
  EXPECT_EQ(out.at(0), (std::pair<std::string, std::string>{"ExposureTime", "500"}));
  // mjpg-streamer: absolute exposure is in 100 µs units.
  ASSERT_TRUE(controls_from_query("/",
                                  "action=command&dest=0&plugin=0&id=10094850&group=1&"
                                  "value=5",
                                  {}, out, error));
  EXPECT_EQ(out.at(0), (std::pair<std::string, std::string>{"ExposureTime", "500"}));
  ASSERT_TRUE(controls_from_query("/", "action=command&id=9963796&value=1", {}, out, error));
  EXPECT_EQ(out.at(0).first, "hflip");
  EXPECT_FALSE(controls_from_query("/", "action=command&id=9963776&value=1", {}, out, error));
  EXPECT_NE(error.find("no counterpart"), std::string::npos);
  EXPECT_FALSE(controls_from_query("/", "action=command&id=x&value=1", {}, out, error));
  EXPECT_FALSE(controls_from_query("/", "action=command&value=1", {}, out, error));
}

}  // namespace
}  // namespace camstream
