// display.cpp - SDL2 window, renderer, textures per camera, and the overlay's text.
#include "viewer/display/display.hpp"

#include <algorithm>
#include <cmath>

#include <SDL.h>
#include <SDL_ttf.h>

#include "shared/log.hpp"
#include "viewer/display/font.hpp"
#include "viewer/keys.hpp"

namespace camstream {
namespace {

constexpr int kFontPoints = 15;
constexpr int kMargin = 8;
constexpr int kPad = 6;
// Text cache entries kept before it is emptied: the figures change every second, so old
// lines pile up; a handful of cells' worth is plenty.
constexpr std::size_t kMaxCachedLines = 256;

SDL_Rect sdl(const Rect& r) {
  return SDL_Rect{r.x, r.y, r.w, r.h};
}

}  // namespace

Display::~Display() {
  clear_text_cache();
  for (Tile& t : tiles_)
    if (t.texture) SDL_DestroyTexture(t.texture);
  if (font_) TTF_CloseFont(font_);
  if (ttf_ready_) TTF_Quit();
  if (renderer_) SDL_DestroyRenderer(renderer_);
  if (window_) SDL_DestroyWindow(window_);
  if (sdl_ready_) SDL_QuitSubSystem(SDL_INIT_VIDEO);
}

bool Display::init(const WindowOptions& options, int tiles, std::string& error) {
  if (SDL_InitSubSystem(SDL_INIT_VIDEO) != 0) {
    error = std::string("cannot open a window: ") + SDL_GetError() +
            ". Without a display, run camview with --no-display (add --print-fps to see the "
            "stream's figures).";
    return false;
  }
  sdl_ready_ = true;
  // JPEG's YUV is full range; SDL's default assumes video range and would wash colours out.
  SDL_SetYUVConversionMode(SDL_YUV_CONVERSION_JPEG);
  SDL_SetHint(SDL_HINT_RENDER_SCALE_QUALITY, "linear");
  tiles_.resize(static_cast<std::size_t>(std::max(1, tiles)));
  Uint32 flags = SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI;
  if (options.fullscreen) flags |= SDL_WINDOW_FULLSCREEN_DESKTOP;
  if (options.always_on_top) flags |= SDL_WINDOW_ALWAYS_ON_TOP;
  window_ = SDL_CreateWindow(options.title.c_str(), SDL_WINDOWPOS_UNDEFINED,
                             SDL_WINDOWPOS_UNDEFINED, 640, 360, flags);
  if (!window_) {
    error = std::string("cannot create the window: ") + SDL_GetError();
    return false;
  }
  // No SDL_RENDERER_PRESENTVSYNC: a frame is shown the moment it is decoded.
  renderer_ = SDL_CreateRenderer(window_, -1, SDL_RENDERER_ACCELERATED);
  if (!renderer_) renderer_ = SDL_CreateRenderer(window_, -1, SDL_RENDERER_SOFTWARE);
  if (!renderer_) {
    error = std::string("cannot create a renderer: ") + SDL_GetError();
    return false;
  }
  std::string font_error;
  const std::string font = find_overlay_font(font_error);
  if (TTF_Init() == 0) {
    ttf_ready_ = true;
    if (!font.empty()) font_ = TTF_OpenFont(font.c_str(), kFontPoints);
    if (!font_ && font_error.empty())
      font_error = std::string("cannot open ") + font + ": " + TTF_GetError();
  } else {
    font_error = std::string("SDL_ttf does not start: ") + TTF_GetError();
  }
  if (!font_) log::warn("no text on screen (" + font_error + ")");
  return true;
}

bool Display::upload(int tile, const Yuv420View& image, bool grey, std::string& error) {
  if (tile < 0 || tile >= static_cast<int>(tiles_.size())) return true;
  Tile& t = tiles_[static_cast<std::size_t>(tile)];
  if (!t.texture || t.width != image.width || t.height != image.height) {
    if (t.texture) SDL_DestroyTexture(t.texture);
    t.texture = SDL_CreateTexture(renderer_, SDL_PIXELFORMAT_IYUV, SDL_TEXTUREACCESS_STREAMING,
                                  image.width, image.height);
    if (!t.texture) {
      error = std::string("cannot create a texture: ") + SDL_GetError();
      return false;
    }
    t.width = image.width;
    t.height = image.height;
  }
  const Uint8* u = image.u;
  const Uint8* v = image.v;
  if (grey) {
    const std::size_t chroma = static_cast<std::size_t>(image.uv_stride) *
                               static_cast<std::size_t>((image.height + 1) / 2);
    if (neutral_chroma_.size() < chroma) neutral_chroma_.assign(chroma, 128);
    u = v = neutral_chroma_.data();
  }
  SDL_UpdateYUVTexture(t.texture, nullptr, image.y, image.y_stride, u, image.uv_stride, v,
                       image.uv_stride);
  // Dimmed as well as grey, so the text on it stands out.
  const Uint8 mod = grey ? 150 : 255;
  SDL_SetTextureColorMod(t.texture, mod, mod, mod);
  return true;
}

void Display::fit(int w, int h) {
  if (fitted_ || !window_ || w <= 0 || h <= 0) return;
  fitted_ = true;
  if (fullscreen()) return;
  // As square a grid as the count allows, wider than tall: screens are wide.
  const int n = static_cast<int>(tiles_.size());
  const int cols = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
  const int rows = (n + cols - 1) / cols;
  int ww = w * cols, wh = h * rows;
  SDL_Rect usable;
  if (SDL_GetDisplayUsableBounds(0, &usable) == 0 && usable.w > 0 && usable.h > 0) {
    const double scale = std::min({1.0, 0.9 * usable.w / ww, 0.9 * usable.h / wh});
    ww = std::max(1, static_cast<int>(ww * scale));
    wh = std::max(1, static_cast<int>(wh * scale));
  }
  SDL_SetWindowSize(window_, ww, wh);
}

void Display::resize_to(int w, int h) {
  if (!window_ || fullscreen() || w <= 0 || h <= 0) return;
  SDL_SetWindowSize(window_, w, h);
}

void Display::draw(const Screen& screen) {
  if (!renderer_) return;
  int out_w = 0, out_h = 0, win_w = 0, win_h = 0;
  SDL_GetRendererOutputSize(renderer_, &out_w, &out_h);
  SDL_GetWindowSize(window_, &win_w, &win_h);
  scale_x_ = win_w > 0 ? static_cast<float>(out_w) / win_w : 1;
  scale_y_ = win_h > 0 ? static_cast<float>(out_h) / win_h : 1;
  SDL_SetRenderDrawColor(renderer_, 0, 0, 0, 255);
  SDL_RenderClear(renderer_);

  cell_tile_.clear();
  int n = static_cast<int>(tiles_.size());
  if (screen.solo >= 0 && screen.solo < n) {
    cells_ = {Rect{0, 0, out_w, out_h}};
    cell_tile_.push_back(screen.solo);
  } else {
    double aspect = 16.0 / 9.0;
    for (const Tile& t : tiles_) {
      if (t.width > 0 && t.height > 0) {
        aspect = static_cast<double>(t.width) / t.height;
        break;
      }
    }
    cells_ = grid_cells(n, out_w, out_h, aspect);
    for (int i = 0; i < n; ++i)
      cell_tile_.push_back(i);
  }
  for (std::size_t c = 0; c < cells_.size(); ++c) {
    const int index = cell_tile_[c];
    const Tile& t = tiles_[static_cast<std::size_t>(index)];
    const Rect& cell = cells_[c];
    const SDL_Rect clip = sdl(cell);
    SDL_RenderSetClipRect(renderer_, &clip);
    Rect pic = cell;
    if (t.texture) {
      pic = place_picture(cell, t.width, t.height, screen.one_to_one);
      const SDL_Rect dst = sdl(pic);
      SDL_RenderCopy(renderer_, t.texture, nullptr, &dst);
    }
    // Text sits on the picture, but inside the cell when the picture overflows it (1:1).
    const int left = std::max(pic.x, cell.x) + kMargin;
    const int top = std::max(pic.y, cell.y) + kMargin;
    const int right = std::min(pic.x + pic.w, cell.x + cell.w) - kMargin;
    if (static_cast<std::size_t>(index) < screen.tiles.size()) {
      const TileDraw& d = screen.tiles[static_cast<std::size_t>(index)];
      if (!d.overlay.empty()) draw_lines(d.overlay, left, top, true, false, false);
      if (!d.banner.empty()) {
        const auto lines = wrap(d.banner, cell.w - 4 * kMargin);
        const int line_h = font_ ? TTF_FontLineSkip(font_) : 0;
        draw_lines(lines, cell.x + cell.w / 2,
                   cell.y + (cell.h - line_h * static_cast<int>(lines.size())) / 2, true,
                   d.banner_error, true);
      }
      if (d.recording) {
        if (const Text* rec = text("REC", true)) {
          draw_lines({"REC"}, right - rec->w - 2 * kPad, top, true, true, false);
        }
      }
    }
    SDL_RenderSetClipRect(renderer_, nullptr);
  }
  if (screen.help) {
    std::vector<std::string> lines{"camview keys"};
    for (std::string& line : key_help_lines())
      lines.push_back(std::move(line));
    int h = 0;
    for (const auto& l : lines)
      if (const Text* t = text(l, false)) h += t->h;
    draw_lines(lines, out_w / 2, (out_h - h) / 2, true, false, true);
  }
  if (!screen.notice.empty() && font_) {
    const auto lines = wrap(screen.notice, out_w - 4 * kMargin);
    const int h = TTF_FontLineSkip(font_) * static_cast<int>(lines.size());
    draw_lines(lines, out_w / 2, out_h - h - kMargin - kPad, true, screen.notice_error, true);
  }
  SDL_RenderPresent(renderer_);
}

const Display::Text* Display::text(const std::string& line, bool error) {
  if (!font_ || line.empty()) return nullptr;
  const std::string key = (error ? "e" : "n") + line;
  if (auto it = text_cache_.find(key); it != text_cache_.end()) return &it->second;
  if (text_cache_.size() >= kMaxCachedLines) clear_text_cache();
  const SDL_Color colour = error ? SDL_Color{255, 110, 100, 255} : SDL_Color{255, 255, 255, 255};
  SDL_Surface* surface = TTF_RenderUTF8_Blended(font_, line.c_str(), colour);
  if (!surface) return nullptr;
  Text t;
  t.texture = SDL_CreateTextureFromSurface(renderer_, surface);
  t.w = surface->w;
  t.h = surface->h;
  SDL_FreeSurface(surface);
  if (!t.texture) return nullptr;
  return &text_cache_.emplace(key, t).first->second;
}

void Display::draw_lines(const std::vector<std::string>& lines, int x, int y, bool box, bool error,
                         bool centre) {
  int w = 0, h = 0;
  std::vector<const Text*> texts;
  for (const auto& l : lines) {
    const Text* t = text(l, error);
    texts.push_back(t);
    if (t) {
      w = std::max(w, t->w);
      h += t->h;
    }
  }
  if (w == 0) return;
  int left = centre ? x - w / 2 : x;
  if (box) {
    SDL_SetRenderDrawBlendMode(renderer_, SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor(renderer_, 0, 0, 0, 170);
    const SDL_Rect r{left - kPad, y - kPad / 2, w + 2 * kPad, h + kPad};
    SDL_RenderFillRect(renderer_, &r);
  }
  int line_y = y;
  for (const Text* t : texts) {
    if (!t) continue;
    const SDL_Rect dst{left, line_y, t->w, t->h};
    SDL_RenderCopy(renderer_, t->texture, nullptr, &dst);
    line_y += t->h;
  }
}

std::vector<std::string> Display::wrap(const std::string& line, int width) const {
  std::vector<std::string> out;
  int w = 0;
  const auto fits = [&](const std::string& s) {
    return !font_ || (TTF_SizeUTF8(font_, s.c_str(), &w, nullptr) == 0 && w <= width);
  };
  std::string current;
  std::size_t pos = 0;
  while (pos <= line.size()) {
    std::size_t space = line.find(' ', pos);
    if (space == std::string::npos) space = line.size();
    const std::string word = line.substr(pos, space - pos);
    const std::string joined = current.empty() ? word : current + " " + word;
    // A word wider than the line stays whole: cutting it would garble an address or path.
    if (!current.empty() && !fits(joined)) {
      out.push_back(current);
      current = word;
    } else {
      current = joined;
    }
    pos = space + 1;
  }
  if (!current.empty()) out.push_back(current);
  return out;
}

void Display::clear_text_cache() {
  for (auto& [key, t] : text_cache_)
    SDL_DestroyTexture(t.texture);
  text_cache_.clear();
}

void Display::set_title(const std::string& title) {
  if (window_) SDL_SetWindowTitle(window_, title.c_str());
}

void Display::toggle_fullscreen() {
  if (!window_) return;
  SDL_SetWindowFullscreen(window_, fullscreen() ? 0 : SDL_WINDOW_FULLSCREEN_DESKTOP);
}

bool Display::fullscreen() const {
  return window_ && (SDL_GetWindowFlags(window_) & SDL_WINDOW_FULLSCREEN_DESKTOP) != 0;
}

int Display::tile_at(int x, int y) const {
  const int px = static_cast<int>(static_cast<float>(x) * scale_x_);
  const int py = static_cast<int>(static_cast<float>(y) * scale_y_);
  for (std::size_t c = 0; c < cells_.size(); ++c)
    if (cells_[c].contains(px, py)) return cell_tile_[c];
  return -1;
}

int Display::picture_width(int tile) const {
  return tile >= 0 && tile < static_cast<int>(tiles_.size())
             ? tiles_[static_cast<std::size_t>(tile)].width
             : 0;
}

int Display::picture_height(int tile) const {
  return tile >= 0 && tile < static_cast<int>(tiles_.size())
             ? tiles_[static_cast<std::size_t>(tile)].height
             : 0;
}

}  // namespace camstream
