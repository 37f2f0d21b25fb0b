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

std::function<void()> Doorbell::notifier() {
  return [this] {
    std::lock_guard lock(mutex_);
    pending_ = true;
    rung_.notify_one();
  };
}

void Doorbell::wait(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  rung_.wait_for(lock, timeout, [this] { return pending_; });
  pending_ = false;
}

int exit_code(const std::vector<Viewer*>& viewers, bool enough, bool interrupted) {
  int code = kExitOk;
  for (Viewer* v : viewers) {
    const int c = v->exit_code(enough, interrupted);
    if (c == kExitPattern || (c != kExitOk && code == kExitOk)) code = c;
  }
  return code;
}

int run_headless(const std::vector<Viewer*>& viewers, Doorbell& doorbell,
                 const std::atomic<bool>& interrupted) {
  for (Viewer* v : viewers)
    v->start();
  bool enough = false;
  while (!interrupted.load() && !enough) {
    doorbell.wait(std::chrono::milliseconds(100));
    enough = true;
    bool all_ended = true;
    for (Viewer* v : viewers) {
      if (auto frame = v->take(); frame && !v->enough()) v->consume(std::move(*frame));
      v->tick();
      enough = enough && v->enough();
      all_ended = all_ended && v->feed().state() == FeedState::kEnded;
    }
    if (all_ended) break;
  }
  for (Viewer* v : viewers)
    v->stop();
  return exit_code(viewers, enough, interrupted.load());
}

int run_window(Viewer& viewer, Display& display, FrameWakeup& wakeup,
               const std::atomic<bool>& interrupted) {
  display.set_title(viewer.title());
  viewer.start();

  bool enough = false;
  bool quit = false;
  std::string error;
  std::string title;
  // Takes the newest frame, if any, through decode to the screen; false on a display error.
  const auto show_next = [&]() {
    auto frame = viewer.take();
    if (!frame) return true;
    const Viewer::Outcome outcome = viewer.consume(std::move(*frame));
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
        } else {
          wakeup.taken(e);
        }
      } while (SDL_PollEvent(&e));
    }
    if (!show_next()) {
      viewer.stop();
      return kExitStream;
    }
    viewer.tick();
    if (viewer.title() != title) display.set_title(title = viewer.title());
    // Without reconnecting, the end of the stream ends camview; its last frame was shown.
    if (viewer.feed().state() == FeedState::kEnded && !viewer.options().reconnect.enabled) break;
  }
  viewer.stop();
  return viewer.exit_code(enough, interrupted.load());
}

}  // namespace camstream
