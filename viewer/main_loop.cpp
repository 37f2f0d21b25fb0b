// main_loop.cpp - the headless loop waits on the mailbox; the windowed one on SDL events.
#include "viewer/main_loop.hpp"

#include <algorithm>
#include <chrono>

#include <SDL.h>

#include "shared/clock.hpp"
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

namespace {

constexpr std::uint64_t kNoticeUs = 4'000'000;  // how long a notice stays on screen

// The window's title: one camera's own, or each camera's state in the grid.
std::string window_title(const std::vector<Viewer*>& viewers, int solo,
                         const WindowSettings& settings) {
  if (viewers.size() == 1 || solo >= 0) {
    const Viewer& v = *viewers[static_cast<std::size_t>(std::max(solo, 0))];
    if (settings.title.empty()) return v.title();
    return settings.title + " - " + to_string(v.feed().state());
  }
  std::string out = settings.title.empty()
                        ? "camview - " + std::to_string(viewers.size()) + " cameras"
                        : settings.title;
  out += " -";
  for (std::size_t i = 0; i < viewers.size(); ++i)
    out += (i ? ", " : " ") + std::string(to_string(viewers[i]->feed().state()));
  return out;
}

}  // namespace

int run_window(const std::vector<Viewer*>& viewers, Display& display, FrameWakeup& wakeup,
               const WindowSettings& settings, const std::atomic<bool>& interrupted) {
  const int n = static_cast<int>(viewers.size());
  Screen screen;
  screen.tiles.resize(viewers.size());
  bool overlay = settings.overlay;
  std::vector<FeedState> shown(viewers.size(), FeedState::kConnecting);
  std::vector<bool> fresh(viewers.size(), false);
  bool fitted = false;
  bool dirty = true;
  bool quit = false;
  bool enough = false;
  std::string title;
  std::string error;
  const Notice* shown_notice = nullptr;
  std::uint64_t shown_notice_at = 0;

  for (Viewer* v : viewers)
    v->start();
  // The cameras the keys s and r act on: the one shown alone, else all.
  const auto targets = [&] {
    if (screen.solo >= 0)
      return std::vector<Viewer*>{viewers[static_cast<std::size_t>(screen.solo)]};
    return viewers;
  };
  const auto one_to_one = [&] {
    screen.one_to_one = !screen.one_to_one;
    // One camera at its own size: the window follows, as far as the screen lets it.
    const int tile = std::max(screen.solo, 0);
    if (screen.one_to_one && (n == 1 || screen.solo >= 0)) {
      display.resize_to(display.picture_width(tile), display.picture_height(tile));
    }
  };
  const auto handle = [&](const SDL_Event& e) {
    if (e.type == SDL_QUIT) {
      quit = true;
    } else if (e.type == SDL_WINDOWEVENT) {
      dirty = true;
    } else if (e.type == SDL_TEXTINPUT) {
      // Characters, not key codes, so '?' and the digits work on every keyboard layout.
      const char c = e.text.text[0];
      if (c == 'i') {
        overlay = !overlay;
      } else if (c == 's') {
        for (Viewer* v : targets())
          v->snapshot();
      } else if (c == 'r') {
        for (Viewer* v : targets())
          v->toggle_recording();
      } else if (c == 'f') {
        display.toggle_fullscreen();
      } else if (c == 'g') {
        one_to_one();
      } else if (c == 'h' || c == '?') {
        screen.help = !screen.help;
      } else if (c >= '1' && c <= '9' && n > 1 && c - '1' < n) {
        screen.solo = c - '1';
      } else if (c == '0') {
        screen.solo = -1;
      } else if (c == 'q') {
        quit = true;
      }
      dirty = true;
    } else if (e.type == SDL_KEYDOWN) {
      if (e.key.keysym.sym == SDLK_F11) {
        display.toggle_fullscreen();
      } else if (e.key.keysym.sym == SDLK_ESCAPE) {
        if (display.fullscreen()) {
          display.toggle_fullscreen();
        } else {
          screen.solo = -1;
        }
      }
      dirty = true;
    } else if (e.type == SDL_MOUSEBUTTONDOWN && e.button.button == SDL_BUTTON_LEFT) {
      // The first click of a double-click picks the camera, the second goes fullscreen: a
      // double-click on a cell shows that camera alone on the whole screen.
      if (e.button.clicks >= 2) {
        display.toggle_fullscreen();
      } else if (n > 1 && screen.solo < 0) {
        screen.solo = display.tile_at(e.button.x, e.button.y);
      }
      dirty = true;
    } else {
      wakeup.taken(e);
    }
  };

  while (!quit && !enough && !interrupted.load()) {
    SDL_Event e;
    if (SDL_WaitEventTimeout(&e, 100)) {
      do
        handle(e);
      while (SDL_PollEvent(&e));
    }
    const std::uint64_t now = monotonic_us();
    enough = true;
    bool all_ended = true;
    for (std::size_t i = 0; i < viewers.size(); ++i) {
      Viewer& v = *viewers[i];
      if (auto frame = v.take(); frame && !v.enough()) {
        if (v.consume(std::move(*frame)) != Viewer::Outcome::kSkip) {
          if (!display.upload(static_cast<int>(i), v.image().view(), false, error)) {
            log::error(error);
            for (Viewer* w : viewers)
              w->stop();
            return kExitStream;
          }
          if (!fitted) {
            display.fit(v.image().width(), v.image().height());
            fitted = true;
          }
          fresh[i] = true;
          dirty = true;
        }
      }
      const FeedState state = v.feed().state();
      if (state != shown[i]) {
        // The last picture of a stream that is gone stays, greyed, under the reason.
        const bool gone = state == FeedState::kReconnecting || state == FeedState::kEnded;
        if (gone && v.has_picture())
          display.upload(static_cast<int>(i), v.image().view(), true, error);
        shown[i] = state;
        dirty = true;
      }
      if (v.tick() && (overlay || state == FeedState::kStalled)) dirty = true;
      enough = enough && v.enough();
      all_ended = all_ended && state == FeedState::kEnded;
    }
    // The newest notice of any camera, for a few seconds.
    const Notice* notice = nullptr;
    for (Viewer* v : viewers) {
      const Notice& candidate = v->notice();
      if (candidate.at_us != 0 && now - candidate.at_us < kNoticeUs &&
          (!notice || candidate.at_us > notice->at_us))
        notice = &candidate;
    }
    if (notice != shown_notice || (notice && notice->at_us != shown_notice_at)) {
      shown_notice = notice;
      shown_notice_at = notice ? notice->at_us : 0;
      dirty = true;
    }
    if (dirty) {
      for (std::size_t i = 0; i < viewers.size(); ++i) {
        Viewer& v = *viewers[i];
        TileDraw& t = screen.tiles[i];
        t.overlay = overlay ? v.overlay_lines() : std::vector<std::string>{};
        t.banner = v.banner(now);
        t.banner_error = v.feed().state() == FeedState::kEnded && v.feed().failed();
        t.recording = v.recording();
      }
      screen.notice = notice ? notice->text : std::string();
      screen.notice_error = notice && notice->error;
      display.draw(screen);
      for (std::size_t i = 0; i < viewers.size(); ++i) {
        if (fresh[i]) viewers[i]->presented();
        fresh[i] = false;
      }
      dirty = false;
    }
    if (const std::string t = window_title(viewers, screen.solo, settings); t != title) {
      display.set_title(title = t);
    }
    // Without reconnecting, the end of every stream ends camview; their last frames were shown.
    if (all_ended && !viewers.front()->options().reconnect.enabled) break;
  }
  for (Viewer* v : viewers)
    v->stop();
  return exit_code(viewers, enough, interrupted.load());
}

}  // namespace camstream
