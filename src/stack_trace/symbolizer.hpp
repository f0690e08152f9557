#pragma once
// Addresses to functions and lines, with libdw (elfutils), on demand.
//
// One Dwfl for the process (the modules of /proc/self/maps: the program, PIE
// or not, and every shared library; re-read when an address lies in none,
// e.g. after dlopen), behind one mutex: libdw is not thread-safe, and a
// trace is printed rarely enough that one lock is no bottleneck. Results are
// cached per address (bounded: the cache is dropped when it reaches
// `max_cached_addresses`), so printing the same hops twice costs lookups.
//
// The same CFI also answers the question the capture needs once per
// distinct stack: did the function at this return address keep a frame
// pointer there (its CFA is rbp-based)? If not, the frame-pointer walk could
// not go on past it correctly.

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <tether/stack_trace.hpp>

struct Dwfl;
struct Dwfl_Module;

namespace tether::detail {

struct frame_check {
  bool frame_pointer = false;  // the function's CFA is rbp-based at the call
  bool main_program = false;   // the function is in the program itself (not a shared library)
};

class symbolizer {
 public:
  static symbolizer& instance() noexcept;

  /// Appends the frames of `address` (inlined calls first, then the function
  /// they were inlined into). `exact`: `address` is an instruction's own
  /// address (a crash), not a return address (everything else).
  void symbolize(std::uintptr_t address, bool exact, std::vector<stack_frame>& out);

  /// See the top of this file. `return_address` must be a return address.
  frame_check check_frame(std::uintptr_t return_address) noexcept;

  /// Forgets every symbolized address (benchmarks: the first-time cost).
  void clear_cache();

  static constexpr std::size_t max_cached_addresses = std::size_t{1} << 16;

 private:
  symbolizer() = default;
  bool ensure_dwfl() noexcept;  // requires mutex_
  Dwfl_Module* module_of(std::uintptr_t address) noexcept;  // requires mutex_
  void lookup(std::uintptr_t address, bool exact, std::vector<stack_frame>& out);  // requires mutex_

  std::mutex mutex_;
  Dwfl* dwfl_ = nullptr;
  std::unordered_map<std::uintptr_t, std::vector<stack_frame>> frames_;  // key: address * 2 + exact
  std::unordered_map<std::uintptr_t, frame_check> checks_;
};

/// Whether a symbolized frame is tether's own or the system runtime's
/// (hidden by default when printing).
bool is_internal_frame(const stack_frame& f) noexcept;

}  // namespace tether::detail
