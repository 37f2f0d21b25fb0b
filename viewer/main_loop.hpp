// main_loop.hpp - camview's main thread: mailbox to Viewer to window (or none), until the end.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

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

// Wakes the headless loop from any camera's network thread; the loop also wakes every
// `timeout` by itself, since reconnecting needs it to come round.
class Doorbell {
 public:
  // The connections' notify. Never blocks for long.
  std::function<void()> notifier();
  void wait(std::chrono::milliseconds timeout);

 private:
  std::mutex mutex_;
  std::condition_variable rung_;
  bool pending_ = false;
};

// The exit code of several cameras: a failed pattern check wins, then a failed stream.
int exit_code(const std::vector<Viewer*>& viewers, bool enough, bool interrupted);

// Starts every viewer and takes frames until each camera decoded --frames N, every stream
// ended for good (its last frame is still decoded) or `interrupted` is set; stops the viewers
// and returns camview's exit code. `doorbell` must be the notify of every viewer's links.
int run_headless(const std::vector<Viewer*>& viewers, Doorbell& doorbell,
                 const std::atomic<bool>& interrupted);
// What the window starts with, from the flags.
struct WindowSettings {
  std::string title;  // --window-title; empty: camview's own, naming the camera
  bool overlay = false;
};

// The same with a window (one cell per viewer, in a grid), which also ends when it is closed
// or the display fails, and which handles the keys (viewer/keys.hpp). With reconnecting on, a
// camera given up on keeps the window open with its reason; without, camview ends once every
// stream has ended. `display` must be initialised for viewers.size() cells.
int run_window(const std::vector<Viewer*>& viewers, Display& display, FrameWakeup& wakeup,
               const WindowSettings& settings, const std::atomic<bool>& interrupted);

}  // namespace camstream
