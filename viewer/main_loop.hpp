// main_loop.hpp - camview's main thread: mailbox to Viewer to window (or none), until the end.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "viewer/display/display.hpp"
#include "viewer/viewer.hpp"

union SDL_Event;

namespace camstream {

// Wakes the windowed loop from the network thread when a frame is put: at most one SDL event
// is ever queued, so the queue never floods and the mailbox keeps only the newest frame.
class FrameWakeup {
 public:
  // Registers the SDL event; after Display::init(). False with a sentence in `error`.
  bool init(std::string& error);
  // The connection's notify: pushes the event unless one is already queued. Never blocks.
  std::function<void()> notifier();
  // True when `e` is the wake-up, and then lets the next one be pushed. The loop asks this
  // before it takes from the mailbox, so a frame put in between raises a new event.
  bool taken(const SDL_Event& e);

 private:
  std::uint32_t type_ = 0;
  std::atomic<bool> pending_{false};
};

// Each starts the viewer, takes frames until --frames N were decoded, the stream ends (its
// last frame is still shown) or `interrupted` is set, stops the viewer and returns camview's
// exit code. run_window also ends when the window is closed or the display fails.
int run_headless(Viewer& viewer, const std::atomic<bool>& interrupted);
int run_window(Viewer& viewer, Display& display, FrameWakeup& wakeup,
               const std::atomic<bool>& interrupted);

}  // namespace camstream
