// main_loop.cpp - the headless loop waits on the mailbox; the windowed one on SDL events.
#include "viewer/main_loop.hpp"

#include <chrono>

#include <SDL.h>

#include "shared/log.hpp"

namespace camstream {

bool FrameWakeup::init(std::string& error) {
  type_ = SDL_RegisterEvents(1);
  if (type_ == static_cast<Uint32>(-1)) {
    error = "cannot register an SDL event";
    return false;
  }
  return true;
}

std::function<void()> FrameWakeup::notifier() {
  return [this] {
    if (!pending_.exchange(true)) {
      SDL_Event e{};
      e.type = type_;
      // A full queue must not leave the flag set, or no frame would ever wake the loop again.
      if (SDL_PushEvent(&e) != 1) pending_.store(false);
    }
  };
}

bool FrameWakeup::taken(const SDL_Event& e) {
  if (e.type != type_) return false;
  pending_.store(false);
  return true;
}

int run_headless(Viewer& viewer, const std::atomic<bool>& interrupted) {
  FrameMailbox& mailbox = viewer.mailbox();
  viewer.start();
  bool enough = false;
  while (!interrupted.load()) {
    auto frame = mailbox.wait_take(std::chrono::milliseconds(100));
    if (frame && viewer.consume(*frame) == Viewer::Outcome::kShowAndStop) {
      enough = true;
      break;
    }
    viewer.tick();
    if (!frame && mailbox.closed()) break;
  }
  viewer.stop();
  return viewer.exit_code(enough, interrupted.load());
}

int run_window(Viewer& viewer, Display& display, FrameWakeup& wakeup,
               const std::atomic<bool>& interrupted) {
  FrameMailbox& mailbox = viewer.mailbox();
  display.set_title(viewer.connecting_title());
  viewer.start();

  bool enough = false;
  bool quit = false;
  std::string error;
  // Takes the newest frame, if any, through decode to the screen; false on a display error.
  const auto show_next = [&]() {
    auto frame = mailbox.take();
    if (!frame) return true;
    const Viewer::Outcome outcome = viewer.consume(*frame);
    if (outcome == Viewer::Outcome::kSkip) return true;
    if (outcome == Viewer::Outcome::kShowAndStop) enough = true;
    if (!display.show(viewer.image().view(), error)) {
      log::error(error);
      return false;
    }
    viewer.presented();
    return true;
  };
  while (!quit && !enough && !interrupted.load()) {
    SDL_Event e;
    if (SDL_WaitEventTimeout(&e, 100)) {
      do {
        if (e.type == SDL_QUIT) {
          quit = true;
        } else if (e.type == SDL_WINDOWEVENT && (e.window.event == SDL_WINDOWEVENT_EXPOSED ||
                                                 e.window.event == SDL_WINDOWEVENT_SIZE_CHANGED)) {
          display.redraw();
        } else if (wakeup.taken(e)) {
          if (!show_next()) {
            viewer.stop();
            return kExitStream;
          }
        }
      } while (SDL_PollEvent(&e));
    }
    if (viewer.tick()) display.set_title(viewer.title());
    if (mailbox.closed() && !enough) {
      // The stream is over; the last frame that arrived still gets shown.
      if (!show_next()) {
        viewer.stop();
        return kExitStream;
      }
      break;
    }
  }
  viewer.stop();
  return viewer.exit_code(enough, interrupted.load());
}

}  // namespace camstream
