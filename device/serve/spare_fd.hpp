// spare_fd.hpp - a file descriptor held in reserve, so that a server out of descriptors can
// still take a waiting connection off the queue and close it.
#pragma once

#include <cstddef>
#include <string>

namespace camstream {

// When accept() fails with EMFILE the connection stays queued and the listening socket stays
// readable: an event loop that retries spins (issue 10: 83-103 % CPU and 12.7 million log
// lines in 20 s), and the client waits for nothing. Holding one descriptor (/dev/null) in
// reserve lets the server close it, accept the waiting connection, close that at once (the
// client hears a reset instead of hanging) and take the reserve back.
class SpareFd {
 public:
  SpareFd();  // opens the reserve; without it shed() only reports failure
  ~SpareFd();
  SpareFd(const SpareFd&) = delete;
  SpareFd& operator=(const SpareFd&) = delete;

  // Accepts one connection waiting on `listen_fd` (non-blocking) with the reserve's slot and
  // closes it; true when one was shed. The reserve is taken back afterwards; if another thread
  // took the freed descriptor meanwhile it is retried at the next call.
  bool shed(int listen_fd);
  bool held() const { return fd_ >= 0; }

 private:
  void reopen();
  int fd_ = -1;
};

// Raises this process's soft limit on open files towards `wanted` (at most the hard limit),
// since the listening socket, each connection and the reserve take one. Returns the limit then
// in force; sets `warning` to a sentence saying what to do when that is below `wanted`.
std::size_t raise_open_file_limit(std::size_t wanted, std::string& warning);

}  // namespace camstream
