// replay_main.cpp - runs a fuzz target over files without libFuzzer: the corpus as a test.
//
// Builds without CAMSTREAM_FUZZ (any compiler) link the targets with this instead of
// libFuzzer, and ctest replays every seed of tests/fuzz/corpus/<target>/ through them, so the
// regression inputs keep passing in the release, ASan and TSan builds too.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

int replay(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", file.c_str());
    return 1;
  }
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  // A copy of exactly its size, so that ASan sees a read past the end as libFuzzer would.
  std::vector<std::uint8_t> data(bytes.begin(), bytes.end());
  LLVMFuzzerTestOneInput(data.data(), data.size());
  return 0;
}

}  // namespace

// Each argument is a file or a folder of files; exits 1 when one cannot be read or there are
// none (an empty corpus is a mistake, not a pass). A failed invariant aborts.
int main(int argc, char** argv) {
  std::size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    const std::filesystem::path arg(argv[i]);
    if (std::filesystem::is_directory(arg)) {
      for (const auto& entry : std::filesystem::directory_iterator(arg)) {
        if (!entry.is_regular_file()) continue;
        if (replay(entry.path()) != 0) return 1;
        ++count;
      }
    } else {
      if (replay(arg) != 0) return 1;
      ++count;
    }
  }
  if (count == 0) {
    std::fprintf(stderr, "replay: no inputs given\n");
    return 1;
  }
  std::printf("replay: %zu inputs passed\n", count);
  return 0;
}
