#pragma once
// A store whose destructions and copies are counted (moves excluded), so a
// test can say exactly when its last frame let go of it. Atomic: the last
// frame holding a store may die on any thread.

#include <atomic>

namespace tether::test {

struct atomic_counted {
  static inline std::atomic<int> destroyed{0};
  static inline std::atomic<int> copies{0};

  static void reset() {
    destroyed = 0;
    copies = 0;
  }

  explicit atomic_counted(int v) : value(v) {}
  atomic_counted(const atomic_counted& other) : value(other.value) { ++copies; }
  atomic_counted(atomic_counted&& other) noexcept : value(other.value) { other.moved_from = true; }
  atomic_counted& operator=(const atomic_counted&) = delete;
  atomic_counted& operator=(atomic_counted&&) = delete;
  ~atomic_counted() {
    if (!moved_from) {
      ++destroyed;
    }
  }

  int value;
  bool moved_from = false;
};

}  // namespace tether::test
