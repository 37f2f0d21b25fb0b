// udmabuf_standin.cpp - TEST-ONLY LD_PRELOAD stand-in for /dev/udmabuf and virtual.yaml.
//
// It lets the end-to-end tests run libcamera's virtual camera on a kernel without a dma-buf
// provider, with cameras each test declares itself. Built with the tests, never installed.
//
// What it answers (everything else goes to the real libc function, found with
// dlsym(RTLD_NEXT)):
//  - open/open64/openat/openat64 (and the _FORTIFY_SOURCE __open*_2 forms) of exactly
//    "/dev/udmabuf": a small memfd stands for the device (O_CLOEXEC honoured).
//  - ioctl(UDMABUF_CREATE) on such a stand-in device: checks the request as the kernel does
//    (flags, page-aligned size, a memfd sealed against shrinking and not against writing, the
//    range inside the file) and returns a dup of the memfd as the "dma-buf", with FD_CLOEXEC
//    when UDMABUF_FLAGS_CLOEXEC is asked. A non-zero offset is refused with EOPNOTSUPP: a dup
//    cannot start elsewhere in the file (libcamera always asks for offset 0).
//  - ioctl(DMA_BUF_IOCTL_SYNC) on a buffer made that way (any fd of the same memfd, so dups
//    count too): the flags are checked as the kernel does, then 0. CPU and "device" share the
//    same memory, so there is nothing to synchronise.
//    With CAMSTREAM_STANDIN_FAIL_CREATE set to an errno number, every UDMABUF_CREATE fails
//    with it instead: a camera whose buffers cannot be allocated, for the error paths.
//  - stat/stat64 and the opens above of "/usr/share/libcamera/pipeline/virtual/virtual.yaml",
//    when CAMSTREAM_STANDIN_VIRTUAL_YAML names a file: that file instead (libcamera 0.4 to 0.7
//    look for it with stat() and read it with open()), so a test declares its own cameras
//    without writing into /usr/share.
// Devices and buffers are recognised by the inode of their memfd, not by fd number, so a
// closed and reused fd number is never mistaken for one of them.
#undef _FORTIFY_SOURCE  // the fortified headers define open() inline; this file defines it

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <dlfcn.h>
#include <fcntl.h>
#include <linux/dma-buf.h>
#include <linux/udmabuf.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

constexpr const char* kUdmabufPath = "/dev/udmabuf";
constexpr const char* kVirtualYamlPath = "/usr/share/libcamera/pipeline/virtual/virtual.yaml";
constexpr const char* kVirtualYamlVariable = "CAMSTREAM_STANDIN_VIRTUAL_YAML";
constexpr const char* kFailCreateVariable = "CAMSTREAM_STANDIN_FAIL_CREATE";

// The libc function `name`, looked up once; the stand-in cannot work without it.
template <typename Fn>
Fn* next(std::atomic<Fn*>& slot, const char* name) {
  Fn* fn = slot.load(std::memory_order_acquire);
  if (fn == nullptr) {
    fn = reinterpret_cast<Fn*>(dlsym(RTLD_NEXT, name));
    if (fn == nullptr) {
      static const char msg[] = "udmabuf_standin: a libc function is missing\n";
      (void)!write(2, msg, sizeof msg - 1);
      abort();
    }
    slot.store(fn, std::memory_order_release);
  }
  return fn;
}

using OpenFn = int(const char*, int, ...);
using OpenatFn = int(int, const char*, int, ...);
using IoctlFn = int(int, unsigned long, ...);
using StatFn = int(const char*, struct stat*);
using Stat64Fn = int(const char*, struct stat64*);

std::atomic<OpenFn*> real_open{nullptr};
std::atomic<OpenFn*> real_open64{nullptr};
std::atomic<OpenatFn*> real_openat{nullptr};
std::atomic<OpenatFn*> real_openat64{nullptr};
std::atomic<IoctlFn*> real_ioctl{nullptr};
std::atomic<StatFn*> real_stat{nullptr};
std::atomic<Stat64Fn*> real_stat64{nullptr};

// The memfds this library made: stand-in devices and the buffers created through them, by
// (device, inode). Never forgotten: a test makes a few dozen at most.
struct Known {
  dev_t dev;
  ino_t ino;
  bool device;  // a stand-in /dev/udmabuf; otherwise a buffer
};
constexpr int kMaxKnown = 4096;
Known known[kMaxKnown];
int known_count = 0;
pthread_mutex_t known_mutex = PTHREAD_MUTEX_INITIALIZER;

bool remember(int fd, bool device) {
  struct stat st;
  if (fstat(fd, &st) != 0) return false;
  pthread_mutex_lock(&known_mutex);
  const bool room = known_count < kMaxKnown;
  if (room) known[known_count++] = Known{st.st_dev, st.st_ino, device};
  pthread_mutex_unlock(&known_mutex);
  return room;
}

bool is_known(int fd, bool device) {
  struct stat st;
  if (fstat(fd, &st) != 0) return false;
  bool found = false;
  pthread_mutex_lock(&known_mutex);
  for (int i = 0; i < known_count && !found; ++i)
    found = known[i].dev == st.st_dev && known[i].ino == st.st_ino && known[i].device == device;
  pthread_mutex_unlock(&known_mutex);
  return found;
}

bool same_path(const char* path, const char* want) {
  return path != nullptr && std::strcmp(path, want) == 0;
}

// The file to open or stat instead of `path`: the test's virtual.yaml for the fixed path when
// the variable names one, else `path` itself.
const char* redirected(const char* path) {
  if (!same_path(path, kVirtualYamlPath)) return path;
  const char* file = getenv(kVirtualYamlVariable);
  return file != nullptr && file[0] != '\0' ? file : path;
}

// A stand-in /dev/udmabuf: a memfd of its own, so it is a real fd that close() and dup()
// handle, with an inode nothing else has.
int open_device(int flags) {
  const int fd = memfd_create("udmabuf-standin", (flags & O_CLOEXEC) != 0 ? MFD_CLOEXEC : 0);
  if (fd < 0) return -1;
  if (!remember(fd, true)) {
    close(fd);
    errno = ENOMEM;
    return -1;
  }
  return fd;
}

bool needs_mode(int flags) {
  return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE;
}

int fail(int error) {
  errno = error;
  return -1;
}

int create_buffer(const udmabuf_create* req) {
  if (req == nullptr) return fail(EFAULT);
  if (const char* injected = getenv(kFailCreateVariable);
      injected != nullptr && injected[0] != '\0')
    return fail(atoi(injected));
  if ((req->flags & ~static_cast<std::uint32_t>(UDMABUF_FLAGS_CLOEXEC)) != 0) return fail(EINVAL);
  const long page = sysconf(_SC_PAGESIZE);
  const auto page_mask = static_cast<std::uint64_t>(page) - 1;
  if (req->size == 0 || (req->size & page_mask) != 0 || (req->offset & page_mask) != 0)
    return fail(EINVAL);
  if (req->offset != 0) return fail(EOPNOTSUPP);
  const int memfd = static_cast<int>(req->memfd);
  const int seals = fcntl(memfd, F_GET_SEALS);
  if (seals < 0) return fail(errno == EBADF ? EBADF : EBADFD);  // not a memfd
  if ((seals & F_SEAL_SHRINK) == 0 || (seals & F_SEAL_WRITE) != 0) return fail(EINVAL);
  struct stat st;
  if (fstat(memfd, &st) != 0) return -1;
  if (st.st_size < 0 || req->size > static_cast<std::uint64_t>(st.st_size)) return fail(EINVAL);
  const bool cloexec = (req->flags & UDMABUF_FLAGS_CLOEXEC) != 0;
  const int fd = fcntl(memfd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
  if (fd < 0) return -1;
  if (!remember(fd, false)) {
    close(fd);
    return fail(ENOMEM);
  }
  return fd;
}

int sync_buffer(const dma_buf_sync* sync) {
  if (sync == nullptr) return fail(EFAULT);
  if ((sync->flags & ~static_cast<std::uint64_t>(DMA_BUF_SYNC_VALID_FLAGS_MASK)) != 0 ||
      (sync->flags & DMA_BUF_SYNC_RW) == 0)
    return fail(EINVAL);
  return 0;
}

}  // namespace

extern "C" {

// The mode argument is there only with O_CREAT or O_TMPFILE; reading it otherwise would read
// garbage, so it is passed on only then.
int open(const char* path, int flags, ...) {
  mode_t mode = 0;
  if (needs_mode(flags)) {
    va_list ap;
    va_start(ap, flags);
    mode = va_arg(ap, mode_t);
    va_end(ap);
  }
  if (same_path(path, kUdmabufPath)) return open_device(flags);
  return next(real_open, "open")(redirected(path), flags, mode);
}

int open64(const char* path, int flags, ...) {
  mode_t mode = 0;
  if (needs_mode(flags)) {
    va_list ap;
    va_start(ap, flags);
    mode = va_arg(ap, mode_t);
    va_end(ap);
  }
  if (same_path(path, kUdmabufPath)) return open_device(flags);
  return next(real_open64, "open64")(redirected(path), flags, mode);
}

// Both paths are absolute, so the directory fd does not matter for them.
int openat(int dirfd, const char* path, int flags, ...) {
  mode_t mode = 0;
  if (needs_mode(flags)) {
    va_list ap;
    va_start(ap, flags);
    mode = va_arg(ap, mode_t);
    va_end(ap);
  }
  if (same_path(path, kUdmabufPath)) return open_device(flags);
  return next(real_openat, "openat")(dirfd, redirected(path), flags, mode);
}

int openat64(int dirfd, const char* path, int flags, ...) {
  mode_t mode = 0;
  if (needs_mode(flags)) {
    va_list ap;
    va_start(ap, flags);
    mode = va_arg(ap, mode_t);
    va_end(ap);
  }
  if (same_path(path, kUdmabufPath)) return open_device(flags);
  return next(real_openat64, "openat64")(dirfd, redirected(path), flags, mode);
}

// What a _FORTIFY_SOURCE build calls for open() without a mode; they take no mode.
int __open_2(const char* path, int flags) {
  return open(path, flags);
}

int __open64_2(const char* path, int flags) {
  return open64(path, flags);
}

int ioctl(int fd, unsigned long request, ...) noexcept {
  va_list ap;
  va_start(ap, request);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  if (request == UDMABUF_CREATE && is_known(fd, true))
    return create_buffer(static_cast<const udmabuf_create*>(arg));
  if (request == DMA_BUF_IOCTL_SYNC && is_known(fd, false))
    return sync_buffer(static_cast<const dma_buf_sync*>(arg));
  return next(real_ioctl, "ioctl")(fd, request, arg);
}

int stat(const char* path, struct stat* buf) noexcept {
  return next(real_stat, "stat")(redirected(path), buf);
}

int stat64(const char* path, struct stat64* buf) noexcept {
  return next(real_stat64, "stat64")(redirected(path), buf);
}

}  // extern "C"
