// fuzz_check.hpp - the one assertion the fuzz targets use: an invariant that fails aborts.
#pragma once

#include <cstdio>
#include <cstdlib>

// Unlike assert(), holds in every build type: an invariant a fuzz target checks is the point
// of running it, so a release build must not compile it away. libFuzzer saves the input that
// aborted; the replay driver (replay_main.cpp) fails its test.
#define FUZZ_CHECK(condition)                                                                \
  do {                                                                                       \
    if (!(condition)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                          \
    }                                                                                        \
  } while (false)
