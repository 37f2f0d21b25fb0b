// camera_buffers.cpp - mapping camera buffers by fd and locating the planes by their offsets.
#include "device/capture/camera_buffers.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <map>

#include <sys/mman.h>

namespace camstream {
namespace {

// Bytes a plane needs: every row but the last at full stride, the last only as wide as the
// picture (drivers may trim the padding after the last row).
std::size_t plane_need(int stride, int row_bytes, int rows) {
  return static_cast<std::size_t>(stride) * static_cast<std::size_t>(rows - 1) +
         static_cast<std::size_t>(row_bytes);
}

}  // namespace

CameraBuffers::~CameraBuffers() {
  unmap();
}

void CameraBuffers::unmap() {
  for (const Mapping& m : mappings_)
    munmap(m.base, m.length);
  mappings_.clear();
  buffers_.clear();
}

bool CameraBuffers::map(const CameraStream& s, std::string& error) {
  unmap();
  const bool nv12 = s.layout == PixelLayout::kNv12;
  const int cw = chroma_width(s.width);
  const int ch = chroma_height(s.height);
  const int chroma_stride = nv12 ? s.stride : s.stride / 2;
  const int chroma_row = nv12 ? 2 * cw : cw;
  if (s.width <= 0 || s.height <= 0 || s.stride < s.width || chroma_stride < chroma_row) {
    error = "the camera configured an unusable stream (" + std::to_string(s.width) + "x" +
            std::to_string(s.height) + ", stride " + std::to_string(s.stride) + ")";
    return false;
  }
  const std::size_t luma_need = plane_need(s.stride, s.width, s.height);
  const std::size_t luma_full =
      static_cast<std::size_t>(s.stride) * static_cast<std::size_t>(s.height);
  const std::size_t chroma_need = plane_need(chroma_stride, chroma_row, ch);
  const std::size_t chroma_full =
      static_cast<std::size_t>(chroma_stride) * static_cast<std::size_t>(ch);

  for (std::size_t b = 0; b < s.buffers.size(); ++b) {
    const std::vector<CameraPlane>& in = s.buffers[b];
    const std::size_t want = nv12 ? 2 : 3;
    // Where each picture plane starts (plane index, extra offset) and how many bytes it needs.
    struct Part {
      std::size_t plane;
      std::size_t extra;
      std::size_t need;
    };
    std::vector<Part> parts;
    if (in.size() == 1) {
      parts.push_back({0, 0, luma_need});
      parts.push_back({0, luma_full, chroma_need});
      if (!nv12) parts.push_back({0, luma_full + chroma_full, chroma_need});
    } else if (in.size() == want) {
      parts.push_back({0, 0, luma_need});
      for (std::size_t p = 1; p < want; ++p)
        parts.push_back({p, 0, chroma_need});
    } else {
      error = "camera buffer " + std::to_string(b) + " has " + std::to_string(in.size()) +
              " planes; a YUV 4:2:0 buffer has 1 or " + std::to_string(want);
      unmap();
      return false;
    }

    // The extent each fd must be mapped over: the furthest byte any part reaches.
    std::map<int, std::size_t> extent;
    for (const Part& part : parts) {
      const CameraPlane& plane = in[part.plane];
      const std::size_t max = std::numeric_limits<std::size_t>::max();
      if (plane.fd < 0 || plane.offset > max - part.extra ||
          plane.offset + part.extra > max - part.need) {
        error = "camera buffer " + std::to_string(b) + " has an invalid plane";
        unmap();
        return false;
      }
      if (part.extra + part.need > plane.length) {
        error = "camera buffer " + std::to_string(b) + " plane " + std::to_string(part.plane) +
                " holds " + std::to_string(plane.length) + " bytes, too few for " +
                std::to_string(s.width) + "x" + std::to_string(s.height) + " at stride " +
                std::to_string(s.stride);
        unmap();
        return false;
      }
      std::size_t& e = extent[plane.fd];
      e = std::max(e, plane.offset + part.extra + part.need);
    }
    std::map<int, const std::uint8_t*> base;
    for (const auto& [fd, length] : extent) {
      void* p = mmap(nullptr, length, PROT_READ, MAP_SHARED, fd, 0);
      if (p == MAP_FAILED) {
        error = "cannot map camera buffer " + std::to_string(b) + ": " + std::strerror(errno);
        unmap();
        return false;
      }
      mappings_.push_back({p, length});
      base[fd] = static_cast<const std::uint8_t*>(p);
    }
    auto at = [&](const Part& part) {
      const CameraPlane& plane = in[part.plane];
      return base[plane.fd] + plane.offset + part.extra;
    };
    Planes planes;
    planes.y = at(parts[0]);
    planes.u = at(parts[1]);
    if (!nv12) planes.v = at(parts[2]);
    buffers_.push_back(planes);
  }
  return true;
}

void split_chroma(const std::uint8_t* uv, int stride, int width, int height, std::uint8_t* u,
                  std::uint8_t* v) {
  for (int row = 0; row < height; ++row) {
    const std::uint8_t* in = uv + static_cast<std::size_t>(row) * static_cast<std::size_t>(stride);
    std::uint8_t* uo = u + static_cast<std::size_t>(row) * static_cast<std::size_t>(width);
    std::uint8_t* vo = v + static_cast<std::size_t>(row) * static_cast<std::size_t>(width);
    for (int x = 0; x < width; ++x) {
      uo[x] = in[2 * x];
      vo[x] = in[2 * x + 1];
    }
  }
}

}  // namespace camstream
