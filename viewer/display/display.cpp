// display.cpp - SDL2 window, renderer and texture management.
#include "viewer/display/display.hpp"

#include <algorithm>

#include <SDL.h>

namespace camstream {

Display::~Display() {
  if (texture_) SDL_DestroyTexture(texture_);
  if (renderer_) SDL_DestroyRenderer(renderer_);
  if (window_) SDL_DestroyWindow(window_);
  if (sdl_ready_) SDL_QuitSubSystem(SDL_INIT_VIDEO);
}

bool Display::init(std::string& error) {
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
  return true;
}

bool Display::ensure(int width, int height, std::string& error) {
  if (!window_) {
    int w = width, h = height;
    SDL_Rect usable;
    if (SDL_GetDisplayUsableBounds(0, &usable) == 0 && usable.w > 0 && usable.h > 0) {
      const double scale = std::min({1.0, 0.9 * usable.w / w, 0.9 * usable.h / h});
      w = std::max(1, static_cast<int>(w * scale));
      h = std::max(1, static_cast<int>(h * scale));
    }
    window_ = SDL_CreateWindow(title_.c_str(), SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, w,
                               h, SDL_WINDOW_RESIZABLE | SDL_WINDOW_ALLOW_HIGHDPI);
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
  }
  if (!texture_ || width != width_ || height != height_) {
    if (texture_) SDL_DestroyTexture(texture_);
    texture_ = SDL_CreateTexture(renderer_, SDL_PIXELFORMAT_IYUV, SDL_TEXTUREACCESS_STREAMING,
                                 width, height);
    if (!texture_) {
      error = std::string("cannot create a texture: ") + SDL_GetError();
      return false;
    }
    width_ = width;
    height_ = height;
    // Letterbox: the logical size keeps the picture's aspect ratio whatever the window's.
    SDL_RenderSetLogicalSize(renderer_, width, height);
  }
  return true;
}

bool Display::show(const Yuv420View& image, std::string& error) {
  if (!ensure(image.width, image.height, error)) return false;
  SDL_UpdateYUVTexture(texture_, nullptr, image.y, image.y_stride, image.u, image.uv_stride,
                       image.v, image.uv_stride);
  redraw();
  return true;
}

void Display::redraw() {
  if (!renderer_ || !texture_) return;
  SDL_SetRenderDrawColor(renderer_, 0, 0, 0, 255);
  SDL_RenderClear(renderer_);
  SDL_RenderCopy(renderer_, texture_, nullptr, nullptr);
  SDL_RenderPresent(renderer_);
}

void Display::set_title(const std::string& title) {
  title_ = title;
  if (window_) SDL_SetWindowTitle(window_, title_.c_str());
}

}  // namespace camstream
