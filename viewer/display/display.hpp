// display.hpp - the SDL2 window: a streaming IYUV texture, letterboxed, presented without vsync.
#pragma once

#include <string>

#include "shared/yuv.hpp"

struct SDL_Window;
struct SDL_Renderer;
struct SDL_Texture;

namespace camstream {

// Lives on the SDL main thread. The window opens on the first picture, at the picture's size
// (smaller when the screen is), and can be resized: the picture keeps its aspect ratio.
class Display {
 public:
  Display() = default;
  ~Display();
  Display(const Display&) = delete;
  Display& operator=(const Display&) = delete;

  // Initialises SDL's video. On failure returns false with a sentence in `error`.
  bool init(std::string& error);

  // Uploads the planes and presents them. False with `error` if the window cannot be made.
  bool show(const Yuv420View& image, std::string& error);
  // Presents the last picture again (after a resize or expose).
  void redraw();
  void set_title(const std::string& title);

 private:
  bool ensure(int width, int height, std::string& error);

  bool sdl_ready_ = false;
  SDL_Window* window_ = nullptr;
  SDL_Renderer* renderer_ = nullptr;
  SDL_Texture* texture_ = nullptr;
  int width_ = 0;
  int height_ = 0;
  std::string title_ = "camview";
};

}  // namespace camstream
