// no_signal.hpp - the picture served while the camera is gone: "NO SIGNAL" on a dark screen.
#pragma once

#include "shared/yuv.hpp"

namespace camstream {

// Draws "NO SIGNAL" in large white block letters, centred on dark grey with a red band
// behind the text, straight in YUV. Any even size from 32x16 up; the letters scale with it.
void render_no_signal(Yuv420Image& image);

// True when `view` shows the no-signal picture: the centre of the red band and the dark
// corners are where render_no_signal() puts them (for tests and scripts that watch a stream).
bool looks_like_no_signal(const Yuv420View& view);

}  // namespace camstream
