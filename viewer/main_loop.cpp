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

// The windowed loop's state between events: what is on screen and what needs drawing.
class WindowLoop {
 public:
  WindowLoop(const std::vector<Viewer*>& viewers, Display& display, FrameWakeup& wakeup,
             const WindowSettings& settings)
      : viewers_(viewers),
        display_(display),
        wakeup_(wakeup),
        settings_(settings),
        n_(static_cast<int>(viewers.size())),
        overlay_(settings.overlay),
        shown_(viewers.size(), FeedState::kConnecting),
        fresh_(viewers.size(), false) {
    screen_.tiles.resize(viewers.size());
  }

  int run(const std::atomic<bool>& interrupted) {
    for (Viewer* v : viewers_)
      v->start();
    bool ok = true;
    while (ok && !quit_ && !enough_ && !interrupted.load()) {
      SDL_Event e;
      if (SDL_WaitEventTimeout(&e, 100)) {
        do
          handle(e);
        while (SDL_PollEvent(&e));
      }
      const std::uint64_t now = monotonic_us();
      ok = take_frames();
      if (ok) draw(now);
      // Without reconnecting, the end of every stream ends camview; their last frames showed.
      if (all_ended_ && !viewers_.front()->options().reconnect.enabled) break;
    }
    for (Viewer* v : viewers_)
      v->stop();
    return ok ? exit_code(viewers_, enough_, interrupted.load()) : kExitStream;
  }

 private:
  void handle(const SDL_Event& e) {
    if (e.type == SDL_QUIT) {
      quit_ = true;
    } else if (e.type == SDL_WINDOWEVENT) {
      dirty_ = true;
    } else if (e.type == SDL_TEXTINPUT) {
      // Characters, not key codes, so '?' and the digits work on every keyboard layout.
      key(e.text.text[0]);
      dirty_ = true;
    } else if (e.type == SDL_KEYDOWN) {
      if (e.key.keysym.sym == SDLK_F11) {
        display_.toggle_fullscreen();
      } else if (e.key.keysym.sym == SDLK_ESCAPE) {
        if (display_.fullscreen()) {
          display_.toggle_fullscreen();
        } else {
          screen_.solo = -1;
        }
      }
      dirty_ = true;
    } else if (e.type == SDL_MOUSEBUTTONDOWN && e.button.button == SDL_BUTTON_LEFT) {
      // The first click of a double-click picks the camera, the second goes fullscreen: a
      // double-click on a cell shows that camera alone on the whole screen.
      if (e.button.clicks >= 2) {
        display_.toggle_fullscreen();
      } else if (n_ > 1 && screen_.solo < 0) {
        screen_.solo = display_.tile_at(e.button.x, e.button.y);
      }
      dirty_ = true;
    } else {
      wakeup_.taken(e);
    }
  }

  // The keys of viewer/keys.hpp that are characters.
  void key(char c) {
    if (c == 'i') {
      overlay_ = !overlay_;
    } else if (c == 's') {
      for (Viewer* v : targets())
        v->snapshot();
    } else if (c == 'r') {
      for (Viewer* v : targets())
        v->toggle_recording();
    } else if (c == 'f') {
      display_.toggle_fullscreen();
    } else if (c == 'g') {
      screen_.one_to_one = !screen_.one_to_one;
      // One camera at its own size: the window follows, as far as the screen lets it.
      const int tile = std::max(screen_.solo, 0);
      if (screen_.one_to_one && (n_ == 1 || screen_.solo >= 0))
        display_.resize_to(display_.picture_width(tile), display_.picture_height(tile));
    } else if (c == 'h' || c == '?') {
      screen_.help = !screen_.help;
    } else if (c >= '1' && c <= '9' && n_ > 1 && c - '1' < n_) {
      screen_.solo = c - '1';
    } else if (c == '0') {
      screen_.solo = -1;
    } else if (c == 'q') {
      quit_ = true;
    } else {
      // The camera's controls (+ - e E a A w o t S): the daemon's answer updates the overlay.
      for (Viewer* v : targets())
        dirty_ = v->control_key(c) || dirty_;
    }
  }

  // The cameras the keys s, r and the controls' act on: the one shown alone, else all.
  std::vector<Viewer*> targets() const {
    if (screen_.solo >= 0) return {viewers_[static_cast<std::size_t>(screen_.solo)]};
    return viewers_;
  }

  // Each camera's newest frame to its texture, and its state's look; false on a display error.
  bool take_frames() {
    enough_ = true;
    all_ended_ = true;
    std::string error;
    for (std::size_t i = 0; i < viewers_.size(); ++i) {
      Viewer& v = *viewers_[i];
      const int tile = static_cast<int>(i);
      if (auto frame = v.take(); frame && !v.enough()) {
        if (v.consume(std::move(*frame)) != Viewer::Outcome::kSkip) {
          if (!display_.upload(tile, v.image().view(), false, error)) {
            log::error(error);
            return false;
          }
          if (!fitted_) display_.fit(v.image().width(), v.image().height());
          fitted_ = true;
          fresh_[i] = true;
          dirty_ = true;
        }
      }
      const FeedState state = v.feed().state();
      if (state != shown_[i]) {
        // The last picture of a stream that is gone stays, greyed, under the reason.
        const bool gone = state == FeedState::kReconnecting || state == FeedState::kEnded;
        if (gone && v.has_picture()) display_.upload(tile, v.image().view(), true, error);
        shown_[i] = state;
        dirty_ = true;
      }
      if (v.tick() && (overlay_ || state == FeedState::kStalled)) dirty_ = true;
      enough_ = enough_ && v.enough();
      all_ended_ = all_ended_ && state == FeedState::kEnded;
    }
    return true;
  }

  // Redraws when anything changed, and keeps the title current.
  void draw(std::uint64_t now) {
    // The newest notice of any camera, for a few seconds.
    const Notice* notice = nullptr;
    for (Viewer* v : viewers_) {
      const Notice& candidate = v->notice();
      if (candidate.at_us != 0 && now - candidate.at_us < kNoticeUs &&
          (!notice || candidate.at_us > notice->at_us))
        notice = &candidate;
    }
    const std::uint64_t notice_at = notice ? notice->at_us : 0;
    if (notice_at != shown_notice_at_) dirty_ = true;
    if (dirty_) {
      for (std::size_t i = 0; i < viewers_.size(); ++i) {
        const Viewer& v = *viewers_[i];
        TileDraw& t = screen_.tiles[i];
        t.overlay = overlay_ ? v.overlay_lines() : std::vector<std::string>{};
        t.banner = v.banner(now);
        t.banner_error = v.feed().state() == FeedState::kEnded && v.feed().failed();
        t.recording = v.recording();
      }
      screen_.notice = notice ? notice->text : std::string();
      screen_.notice_error = notice && notice->error;
      shown_notice_at_ = notice_at;
      display_.draw(screen_);
      for (std::size_t i = 0; i < viewers_.size(); ++i) {
        if (fresh_[i]) viewers_[i]->presented();
        fresh_[i] = false;
      }
      dirty_ = false;
    }
    if (const std::string t = window_title(viewers_, screen_.solo, settings_); t != title_)
      display_.set_title(title_ = t);
  }

  const std::vector<Viewer*>& viewers_;
  Display& display_;
  FrameWakeup& wakeup_;
  const WindowSettings& settings_;
  const int n_;
  Screen screen_;
  bool overlay_;
  std::vector<FeedState> shown_;  // each camera's state as last drawn
  std::vector<bool> fresh_;       // a new picture not yet presented
  bool fitted_ = false;
  bool dirty_ = true;
  bool quit_ = false;
  bool enough_ = false;
  bool all_ended_ = false;
  std::string title_;
  std::uint64_t shown_notice_at_ = 0;
};

}  // namespace

int run_window(const std::vector<Viewer*>& viewers, Display& display, FrameWakeup& wakeup,
               const WindowSettings& settings, const std::atomic<bool>& interrupted) {
  return WindowLoop(viewers, display, wakeup, settings).run(interrupted);
}

}  // namespace camstream
