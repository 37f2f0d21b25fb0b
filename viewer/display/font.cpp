// font.cpp - fontconfig's match for "DejaVu Sans Mono", whatever it settles on.
#include "viewer/display/font.hpp"

#include <fontconfig/fontconfig.h>
#include <unistd.h>

namespace camstream {

std::string find_overlay_font(std::string& error) {
  std::string path;
  FcConfig* config = FcInitLoadConfigAndFonts();
  if (!config) {
    error = "fontconfig cannot load its configuration";
    return path;
  }
  // Fontconfig falls back to any font it has when DejaVu is missing, so the overlay still
  // shows; a family that is only an alias (monospace) after it widens the choice.
  FcPattern* pattern = FcNameParse(reinterpret_cast<const FcChar8*>("DejaVu Sans Mono,monospace"));
  FcConfigSubstitute(config, pattern, FcMatchPattern);
  FcDefaultSubstitute(pattern);
  FcResult result = FcResultNoMatch;
  FcPattern* match = FcFontMatch(config, pattern, &result);
  FcChar8* file = nullptr;
  if (match && FcPatternGetString(match, FC_FILE, 0, &file) == FcResultMatch && file &&
      ::access(reinterpret_cast<const char*>(file), R_OK) == 0) {
    path = reinterpret_cast<const char*>(file);
  } else {
    error = "fontconfig found no font; install fonts-dejavu-core";
  }
  if (match) FcPatternDestroy(match);
  FcPatternDestroy(pattern);
  FcConfigDestroy(config);
  return path;
}

}  // namespace camstream
