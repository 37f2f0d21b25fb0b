// font.hpp - the system font camview writes its overlay with, found through fontconfig.
#pragma once

#include <string>

namespace camstream {

// The file of the best match for a monospaced sans font (DejaVu Sans Mono, from Debian's
// fonts-dejavu-core, where installed); empty with a sentence in `error` when fontconfig
// finds no font file at all.
std::string find_overlay_font(std::string& error);

}  // namespace camstream
