// udmabuf_standin_test.cpp - the test-only udmabuf stand-in's contract, linked in (not preloaded).
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/dma-buf.h>
#include <linux/udmabuf.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

constexpr const char* kVirtualYaml = "/usr/share/libcamera/pipeline/virtual/virtual.yaml";

std::size_t page() {
  return static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

// Where /proc says fd points, e.g. "/memfd:udmabuf-standin (deleted)".
std::string target_of(int fd) {
  char buf[256] = {};
  const std::string link = "/proc/self/fd/" + std::to_string(fd);
  const ssize_t n = readlink(link.c_str(), buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

bool cloexec(int fd) {
  return (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0;
}

// A memfd of `bytes` bytes with `seals`, as libcamera's MemFd::create makes one.
int make_memfd(std::size_t bytes, int seals) {
  const int fd = memfd_create("frame-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return -1;
  if (ftruncate(fd, static_cast<off_t>(bytes)) != 0 ||
      (seals != 0 && fcntl(fd, F_ADD_SEALS, seals) != 0)) {
    close(fd);
    return -1;
  }
  return fd;
}

// ioctl's result, with errno folded in: the fd (>= 0) or minus the error.
int create(int device, int memfd, std::uint32_t flags, std::uint64_t offset, std::uint64_t size) {
  udmabuf_create req{};
  req.memfd = static_cast<std::uint32_t>(memfd);
  req.flags = flags;
  req.offset = offset;
  req.size = size;
  const int r = ioctl(device, UDMABUF_CREATE, &req);
  return r < 0 ? -errno : r;
}

int sync(int fd, std::uint64_t flags) {
  dma_buf_sync s{};
  s.flags = flags;
  return ioctl(fd, DMA_BUF_IOCTL_SYNC, &s) < 0 ? -errno : 0;
}

// What an ioctl the stand-in passes through gets when the file does not know it: ENOTTY from
// the kernel, or ENOSYS from qemu-user (the cross builds' tests), which refuses ioctls it
// cannot translate before the kernel sees them. Either way the stand-in did not answer it.
bool the_real_refusal(int result) {
  return result == -ENOTTY || result == -ENOSYS;
}

class UdmabufStandinDevice : public ::testing::Test {
 protected:
  void SetUp() override {
    device_ = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
    ASSERT_GE(device_, 0) << std::strerror(errno);
  }
  void TearDown() override {
    if (device_ >= 0) close(device_);
  }
  int device_ = -1;
};

TEST(UdmabufStandin, EveryOpenGivesAStandInDeviceAndHonoursCloexec) {
  const int fds[] = {
      open("/dev/udmabuf", O_RDWR | O_CLOEXEC),
      open64("/dev/udmabuf", O_RDWR),
      openat(AT_FDCWD, "/dev/udmabuf", O_RDWR | O_CLOEXEC),
      openat64(AT_FDCWD, "/dev/udmabuf", O_RDWR),
  };
  for (std::size_t i = 0; i < std::size(fds); ++i) {
    ASSERT_GE(fds[i], 0) << "open #" << i << ": " << std::strerror(errno);
    // Stands in even where the kernel has the real device: the tests must not depend on it.
    EXPECT_EQ(target_of(fds[i]).rfind("/memfd:udmabuf-standin", 0), 0u) << target_of(fds[i]);
    EXPECT_EQ(cloexec(fds[i]), i % 2 == 0) << "open #" << i;
    close(fds[i]);
  }
}

TEST(UdmabufStandin, OtherOpensPassThroughWithTheirMode) {
  char dir[] = "/tmp/standin-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string file = std::string(dir) + "/made";
  const mode_t old = umask(0);
  // The variadic mode must reach the real open for O_CREAT to use it.
  const int fd = open(file.c_str(), O_CREAT | O_EXCL | O_WRONLY, 0640);
  umask(old);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  struct stat st {};
  ASSERT_EQ(fstat(fd, &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);
  EXPECT_EQ(target_of(fd), file);
  close(fd);
  const int at = openat(AT_FDCWD, file.c_str(), O_RDONLY);
  EXPECT_GE(at, 0);
  if (at >= 0) close(at);
  unlink(file.c_str());
  rmdir(dir);
  errno = 0;
  EXPECT_EQ(open("/nonexistent/udmabuf", O_RDWR), -1);
  EXPECT_EQ(errno, ENOENT);
}

TEST_F(UdmabufStandinDevice, CreateGivesABufferOnTheMemfdsPages) {
  const std::size_t size = 2 * page();
  const int memfd = make_memfd(size, F_SEAL_SHRINK);
  ASSERT_GE(memfd, 0);
  auto* writer = static_cast<std::uint8_t*>(mmap(nullptr, size, PROT_WRITE, MAP_SHARED, memfd, 0));
  ASSERT_NE(writer, MAP_FAILED);
  const int buf = create(device_, memfd, UDMABUF_FLAGS_CLOEXEC, 0, size);
  ASSERT_GE(buf, 0) << std::strerror(-buf);
  EXPECT_NE(buf, memfd);
  EXPECT_TRUE(cloexec(buf));
  close(memfd);  // libcamera closes its memfd at once; the buffer keeps the memory
  auto* reader =
      static_cast<const std::uint8_t*>(mmap(nullptr, size, PROT_READ, MAP_SHARED, buf, 0));
  ASSERT_NE(reader, MAP_FAILED);
  writer[0] = 0x5a;
  writer[size - 1] = 0xa5;
  EXPECT_EQ(reader[0], 0x5a);
  EXPECT_EQ(reader[size - 1], 0xa5);
  munmap(writer, size);
  munmap(const_cast<std::uint8_t*>(reader), size);
  close(buf);

  const int memfd2 = make_memfd(size, F_SEAL_SHRINK | F_SEAL_GROW);
  ASSERT_GE(memfd2, 0);
  const int plain = create(device_, memfd2, 0, 0, page());  // less than the whole file is fine
  ASSERT_GE(plain, 0) << std::strerror(-plain);
  EXPECT_FALSE(cloexec(plain));
  close(plain);
  close(memfd2);
}

TEST_F(UdmabufStandinDevice, CreateRefusesWhatTheKernelRefuses) {
  const std::size_t size = 2 * page();
  const int sealed = make_memfd(size, F_SEAL_SHRINK);
  const int unsealed = make_memfd(size, 0);
  const int write_sealed = make_memfd(size, F_SEAL_SHRINK | F_SEAL_WRITE);
  ASSERT_GE(sealed, 0);
  ASSERT_GE(unsealed, 0);
  ASSERT_GE(write_sealed, 0);
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);

  EXPECT_EQ(create(device_, unsealed, 0, 0, size), -EINVAL) << "no F_SEAL_SHRINK";
  EXPECT_EQ(create(device_, write_sealed, 0, 0, size), -EINVAL) << "F_SEAL_WRITE";
  EXPECT_EQ(create(device_, sealed, 0, 0, 0), -EINVAL) << "empty";
  EXPECT_EQ(create(device_, sealed, 0, 0, size - 1), -EINVAL) << "not whole pages";
  EXPECT_EQ(create(device_, sealed, 0, 1, page()), -EINVAL) << "offset not on a page";
  EXPECT_EQ(create(device_, sealed, 0, 0, size + page()), -EINVAL) << "past the file's end";
  EXPECT_EQ(create(device_, sealed, 0x2, 0, size), -EINVAL) << "unknown flag";
  EXPECT_EQ(create(device_, sealed, 0, page(), page()), -EOPNOTSUPP) << "the stand-in's limit";
  EXPECT_EQ(create(device_, pipe_fds[0], 0, 0, size), -EBADFD) << "not a memfd";
  EXPECT_EQ(create(device_, 999, 0, 0, size), -EBADF) << "not an fd";
  errno = 0;
  EXPECT_EQ(ioctl(device_, UDMABUF_CREATE, nullptr), -1);
  EXPECT_EQ(errno, EFAULT);

  close(pipe_fds[0]);
  close(pipe_fds[1]);
  close(sealed);
  close(unsealed);
  close(write_sealed);
}

TEST_F(UdmabufStandinDevice, CreateFailsAsToldForTheErrorPaths) {
  const int memfd = make_memfd(page(), F_SEAL_SHRINK);
  ASSERT_GE(memfd, 0);
  setenv("CAMSTREAM_STANDIN_FAIL_CREATE", "12", 1);
  EXPECT_EQ(create(device_, memfd, 0, 0, page()), -ENOMEM);
  unsetenv("CAMSTREAM_STANDIN_FAIL_CREATE");
  const int buf = create(device_, memfd, 0, 0, page());
  EXPECT_GE(buf, 0);
  if (buf >= 0) close(buf);
  close(memfd);
}

TEST_F(UdmabufStandinDevice, SyncIsAnsweredForItsBuffersOnly) {
  const int memfd = make_memfd(page(), F_SEAL_SHRINK);
  const int other = make_memfd(page(), F_SEAL_SHRINK);
  ASSERT_GE(memfd, 0);
  ASSERT_GE(other, 0);
  const int buf = create(device_, memfd, UDMABUF_FLAGS_CLOEXEC, 0, page());
  ASSERT_GE(buf, 0);
  EXPECT_EQ(sync(buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ), 0);
  EXPECT_EQ(sync(buf, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ), 0);
  EXPECT_EQ(sync(buf, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW), 0);
  const int copy = dup(buf);  // libcamera's SharedFD may hand out duplicates
  EXPECT_EQ(sync(copy, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW), 0);
  EXPECT_EQ(sync(buf, DMA_BUF_SYNC_START), -EINVAL) << "neither read nor write";
  EXPECT_EQ(sync(buf, DMA_BUF_SYNC_READ | 0x100), -EINVAL) << "unknown flag";
  // Not made through the stand-in: the real ioctl, which a memfd does not know.
  EXPECT_TRUE(the_real_refusal(sync(other, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ)));
  // Nor is the device a buffer.
  EXPECT_TRUE(the_real_refusal(sync(device_, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ)));
  close(copy);
  close(buf);
  close(other);
  close(memfd);
}

TEST_F(UdmabufStandinDevice, OtherIoctlsAndOtherFdsPassThrough) {
  const int memfd = make_memfd(page(), F_SEAL_SHRINK);
  ASSERT_GE(memfd, 0);
  // UDMABUF_CREATE on anything but a stand-in device is the real call.
  const int null = open("/dev/null", O_RDWR);
  ASSERT_GE(null, 0);
  EXPECT_TRUE(the_real_refusal(create(null, memfd, 0, 0, page())));
  close(null);
  // Only UDMABUF_CREATE is answered on the device.
  udmabuf_create_list head{};
  head.count = 1;
  udmabuf_create_item item{};
  item.memfd = static_cast<std::uint32_t>(memfd);
  item.size = page();
  alignas(udmabuf_create_item) unsigned char list[sizeof head + sizeof item];
  std::memcpy(list, &head, sizeof head);
  std::memcpy(list + sizeof head, &item, sizeof item);
  errno = 0;
  EXPECT_EQ(ioctl(device_, UDMABUF_CREATE_LIST, list), -1);
  EXPECT_TRUE(the_real_refusal(-errno));
  // An ordinary ioctl still works.
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  ASSERT_EQ(write(pipe_fds[1], "abc", 3), 3);
  int pending = -1;
  EXPECT_EQ(ioctl(pipe_fds[0], FIONREAD, &pending), 0);
  EXPECT_EQ(pending, 3);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  close(memfd);
}

TEST(UdmabufStandin, VirtualYamlIsTheFileTheVariableNames) {
  char path[] = "/tmp/standin-yaml-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  const std::string text = "\"Test0\":\n  model: \"standin\"\n";
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  struct stat real {};
  const int real_result = ::stat(kVirtualYaml, &real);

  setenv("CAMSTREAM_STANDIN_VIRTUAL_YAML", path, 1);
  struct stat st {};
  ASSERT_EQ(::stat(kVirtualYaml, &st), 0);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(st.st_size, static_cast<off_t>(text.size()));
  struct stat64 st64 {};
  ASSERT_EQ(stat64(kVirtualYaml, &st64), 0);
  EXPECT_EQ(st64.st_size, static_cast<off64_t>(text.size()));
  for (int how = 0; how < 4; ++how) {
    const int in = how == 0   ? open(kVirtualYaml, O_RDONLY | O_CLOEXEC)
                   : how == 1 ? open64(kVirtualYaml, O_RDONLY)
                   : how == 2 ? openat(AT_FDCWD, kVirtualYaml, O_RDONLY)
                              : openat64(AT_FDCWD, kVirtualYaml, O_RDONLY);
    ASSERT_GE(in, 0) << "open #" << how << ": " << std::strerror(errno);
    char buf[128] = {};
    EXPECT_EQ(read(in, buf, sizeof buf), static_cast<ssize_t>(text.size()));
    EXPECT_EQ(std::string(buf), text);
    close(in);
  }
  // Other paths, even in the same folder, are left alone.
  EXPECT_NE(::stat("/usr/share/libcamera/pipeline/virtual/other.yaml", &st), 0);

  // Unset or empty: the real path again.
  for (const char* value : {"", static_cast<const char*>(nullptr)}) {
    if (value) {
      setenv("CAMSTREAM_STANDIN_VIRTUAL_YAML", value, 1);
    } else {
      unsetenv("CAMSTREAM_STANDIN_VIRTUAL_YAML");
    }
    struct stat again {};
    EXPECT_EQ(::stat(kVirtualYaml, &again), real_result);
    if (real_result != 0) {
      EXPECT_EQ(errno, ENOENT);
    }
  }
  unlink(path);
}

}  // namespace
