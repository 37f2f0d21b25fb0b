// display.hpp - the SDL2 window: one IYUV texture per camera in a grid, text drawn with SDL_ttf,
// presented without vsync.
#pragma once

#include <string>
#include <unordered_map>
#include <vector>

// SDL_ttf names its font struct differently across versions (_TTF_Font in 2.20, TTF_Font from
// 2.22), so it is included rather than declared here.
#include <SDL_ttf.h>

#include "shared/yuv.hpp"
#include "viewer/display/layout.hpp"

struct SDL_Window;
struct SDL_Renderer;
struct SDL_Texture;

namespace camstream {

struct WindowOptions {
  std::string title = "camview";
  bool fullscreen = false;
  bool always_on_top = false;
};

// What one camera's cell shows besides its picture.
struct TileDraw {
  std::vector<std::string> overlay;  // lines at the top left, on a dark box; none: no box
  std::string banner;                // a centred line: connecting, reconnecting and why
  bool banner_error = false;         // red: camview gave up on this camera
  bool recording = false;            // a red REC mark at the top right
};

// What the whole window shows on top of the cells.
struct Screen {
  std::vector<TileDraw> tiles;  // one per camera, in order
  int solo = -1;                // a camera shown alone, or -1 for the grid
  bool one_to_one = false;      // pictures at their own pixel size
  bool help = false;            // the key list
  std::string notice;           // a line at the bottom (saved, recording), empty for none
  bool notice_error = false;
};

// Lives on the SDL main thread. The window opens at once (so "connecting" shows before any
// picture) and fits the pictures once the first one comes; it can be resized, and pictures
// keep their aspect ratio. Without a font the text is left out, with one warning.
class Display {
 public:
  Display() = default;
  ~Display();
  Display(const Display&) = delete;
  Display& operator=(const Display&) = delete;

  // Initialises SDL's video and opens the window for `tiles` cameras. False with a sentence
  // in `error`.
  bool init(const WindowOptions& options, int tiles, std::string& error);

  // Uploads a camera's new picture; `grey` keeps only its brightness, for the last picture of
  // a stream that is gone. False with a sentence in `error`.
  bool upload(int tile, const Yuv420View& image, bool grey, std::string& error);
  // Sizes the window for the grid of pictures of w×h (at most 90% of the usable screen);
  // once, on the first picture, and not in fullscreen.
  void fit(int w, int h);
  // Sizes the window to w×h exactly (1:1 pixels of one camera); not in fullscreen.
  void resize_to(int w, int h);
  // Draws every cell and the text, and presents.
  void draw(const Screen& screen);

  void set_title(const std::string& title);
  void toggle_fullscreen();
  bool fullscreen() const;
  // The camera whose cell holds the window point (x, y) of the last draw, or -1.
  int tile_at(int x, int y) const;
  // The size of a camera's last picture, 0×0 before one.
  int picture_width(int tile) const;
  int picture_height(int tile) const;

 private:
  struct Tile {
    SDL_Texture* texture = nullptr;
    int width = 0;
    int height = 0;
  };
  struct Text {
    SDL_Texture* texture = nullptr;
    int w = 0;
    int h = 0;
  };
  const Text* text(const std::string& line, bool error);
  void draw_lines(const std::vector<std::string>& lines, int x, int y, bool box, bool error,
                  bool centre);
  void clear_text_cache();
  // `line` cut at spaces into lines of at most `width` pixels in the font.
  std::vector<std::string> wrap(const std::string& line, int width) const;

  bool sdl_ready_ = false;
  bool ttf_ready_ = false;
  SDL_Window* window_ = nullptr;
  SDL_Renderer* renderer_ = nullptr;
  TTF_Font* font_ = nullptr;
  std::vector<Tile> tiles_;
  std::vector<std::uint8_t> neutral_chroma_;  // 128s: a picture without colour
  std::unordered_map<std::string, Text> text_cache_;
  std::vector<Rect> cells_;  // of the last draw, in window coordinates
  std::vector<int> cell_tile_;
  bool fitted_ = false;
  float scale_x_ = 1;  // renderer pixels per window unit (HiDPI)
  float scale_y_ = 1;
};

}  // namespace camstream
