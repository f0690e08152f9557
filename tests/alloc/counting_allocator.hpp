#pragma once
// The counting allocator shared by the tests/alloc executable: every global
// operator new/delete is replaced (counting_allocator.cpp) by one that counts
// per thread, then calls malloc/free. Hot-path claims are then counts:
//
//   const allocation_delta d = count_allocations([&] { tether::emit_init(o, "Job"); });
//   EXPECT_EQ(d.allocations, 0u);
//
// Its own executable (tests/CMakeLists.txt): nothing else may replace
// operator new, so tether_test_support is not linked in.

#include <cstdint>

namespace tether::test {

// Per thread, so nothing another thread does can disturb a count. constinit
// and trivially destructible: usable from the very first allocation of the
// process, before any constructor has run.
struct allocation_counts {
  std::uint64_t allocations = 0;
  std::uint64_t deallocations = 0;
};
extern constinit thread_local allocation_counts counts;

struct allocation_delta {
  std::uint64_t allocations = 0;
  std::uint64_t deallocations = 0;
};

/// The allocations and deallocations `f()` made on this thread. Nothing
/// between the two reads allocates except `f` itself: assertions go after.
template <class F>
allocation_delta count_allocations(F&& f) {
  const allocation_counts before = counts;
  f();
  const allocation_counts after = counts;
  return {after.allocations - before.allocations, after.deallocations - before.deallocations};
}

}  // namespace tether::test
