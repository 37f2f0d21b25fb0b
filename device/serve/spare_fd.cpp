// spare_fd.cpp - the reserve descriptor, and the open-file limit the server needs.
#include "device/serve/spare_fd.hpp"

#include <algorithm>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace camstream {

SpareFd::SpareFd() {
  reopen();
}

SpareFd::~SpareFd() {
  if (fd_ >= 0) ::close(fd_);
}

void SpareFd::reopen() {
  if (fd_ < 0) fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

bool SpareFd::shed(int listen_fd) {
  if (fd_ < 0) {
    reopen();
    return false;
  }
  ::close(fd_);
  fd_ = -1;
  const int client = ::accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (client >= 0) {
    // A reset rather than a FIN: the client learns at once that it will not be served.
    const linger abort{1, 0};
    ::setsockopt(client, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    ::close(client);
  }
  reopen();
  return client >= 0;
}

std::size_t raise_open_file_limit(std::size_t wanted, std::string& warning) {
  warning.clear();
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
    rlimit raised = limit;
    raised.rlim_cur =
        limit.rlim_max == RLIM_INFINITY ? wanted : std::min<rlim_t>(wanted, limit.rlim_max);
    if (::setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
    warning = "the open-file limit is " + std::to_string(limit.rlim_cur) + ", below the " +
              std::to_string(wanted) +
              " that --max-clients and --max-handshakes may need; raise it (ulimit -n, "
              "LimitNOFILE= in the service) or lower them; out of files, the daemon refuses "
              "new connections until some close";
  }
  return limit.rlim_cur == RLIM_INFINITY ? wanted : static_cast<std::size_t>(limit.rlim_cur);
}

}  // namespace camstream
