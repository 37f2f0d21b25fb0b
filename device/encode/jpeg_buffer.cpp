// jpeg_buffer.cpp - anonymous mappings for encoded frames.
#include "device/encode/jpeg_buffer.hpp"

#include <new>
#include <utility>

#include <sys/mman.h>
#include <unistd.h>

namespace camstream {
namespace {

std::size_t page_round(std::size_t n) {
  static const auto page = static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
  return (n + page - 1) / page * page;
}

}  // namespace

JpegBuffer::JpegBuffer(std::size_t capacity) {
  const std::size_t length = page_round(capacity == 0 ? 1 : capacity);
  void* p = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  addr_ = p;
  mapped_ = length;
}

JpegBuffer::~JpegBuffer() {
  release();
}

JpegBuffer::JpegBuffer(JpegBuffer&& other) noexcept
    : addr_(std::exchange(other.addr_, nullptr)), mapped_(std::exchange(other.mapped_, 0)) {}

JpegBuffer& JpegBuffer::operator=(JpegBuffer&& other) noexcept {
  if (this != &other) {
    release();
    addr_ = std::exchange(other.addr_, nullptr);
    mapped_ = std::exchange(other.mapped_, 0);
  }
  return *this;
}

void JpegBuffer::shrink_to(std::size_t used) {
  if (!addr_) return;
  const std::size_t keep = page_round(used == 0 ? 1 : used);
  if (keep >= mapped_) return;
  // Unmapping the tail of a private anonymous mapping leaves the head where it is.
  if (munmap(get() + keep, mapped_ - keep) == 0) mapped_ = keep;
}

void JpegBuffer::release() {
  if (addr_) munmap(addr_, mapped_);
  addr_ = nullptr;
  mapped_ = 0;
}

}  // namespace camstream
