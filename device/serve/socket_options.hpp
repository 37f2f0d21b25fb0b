// socket_options.hpp - what the server sets on every client socket, and why.
#pragma once

#include <cstddef>

#include <asio.hpp>

namespace camstream {

// TCP_NODELAY (a frame's last segment must not wait for an acknowledgement), SO_KEEPALIVE (a
// peer that vanished without a word is noticed) and the smallest send buffer (SendBufferCap).
void tune_client_socket(asio::ip::tcp::socket& socket);

// SO_LINGER 0: the close that follows sends a reset and the kernel frees what the socket still
// holds at once. For a stalled client: a graceful close kept its unsent frames alive in an
// orphaned socket for minutes (issue 10).
void abort_on_close(asio::ip::tcp::socket& socket);

// Caps the kernel's send buffer of one socket near the frame being sent, so that a client that
// stops reading pins about two frames of kernel memory instead of the 4 MiB that autotuning
// grows to (200 such clients pinned 790 MB, issue 10). Linux doubles the value set and counts
// its bookkeeping in it, so setting one frame's size gives room for about two frames' bytes.
// Applied when a frame is larger than the cap or less than half of it, so a steady stream
// costs no system call. Not below kMinBytes, so that small frames still leave TCP room to
// recover from loss (tests/fault/test_links.py at 20 % loss: with 16 KiB one run of three fell
// to 4 fps, with 32 KiB 15-21 fps) while a slow link's queue stays short (behind 1 Mbit/s,
// frames 0.65 s late; 1 s with 64 KiB, 1.6 s with autotuning); not above kMaxBytes (Linux
// caps it at net.core.wmem_max anyway).
class SendBufferCap {
 public:
  static constexpr std::size_t kMinBytes = 32 * 1024;
  static constexpr std::size_t kMaxBytes = 8 * 1024 * 1024;

  // Sets the cap for a write of `bytes` if it is far from the current one.
  void fit(asio::ip::tcp::socket& socket, std::size_t bytes);
  // The value last set (0: none yet).
  std::size_t bytes() const { return bytes_; }

 private:
  std::size_t bytes_ = 0;
};

}  // namespace camstream
