#pragma once
// The loaded ELF modules (program, shared libraries, the vDSO) and their
// executable segments, from dl_iterate_phdr: which module an address lies
// in, its offset there (what addr2line wants: the address minus the load
// bias, right for PIE and shared libraries alike), and whether it is the
// program itself.
//
// Fixed-size tables and no allocation after construction, so a fatal-signal
// handler can look addresses up (find_unlocked). Refreshed when an address
// is not found (a library dlopen()ed later).

#include <cstddef>
#include <cstdint>
#include <mutex>

struct dl_phdr_info;

namespace tether::detail {

struct module_hit {
  const char* path = nullptr;  // valid until the next refresh; the program's is /proc/self/exe's target
  std::uintptr_t offset = 0;      // address - load bias
  bool main_program = false;
};

class module_map {
 public:
  static module_map& instance() noexcept;

  /// The module holding `address`; refreshes once if none does.
  bool find(std::uintptr_t address, module_hit& hit) noexcept;
  /// No lock, no refresh: for a signal handler (a refresh racing with it
  /// can give a wrong answer, never a crash: the tables stay in place).
  bool find_unlocked(std::uintptr_t address, module_hit& hit) const noexcept;
  /// Re-reads the module list.
  void refresh() noexcept;

 private:
  module_map() noexcept;
  void refresh_locked() noexcept;
  static int add_module(::dl_phdr_info* info, std::size_t size, void* self) noexcept;
  static unsigned long long load_count() noexcept;

  static constexpr std::size_t max_segments = 1024;
  static constexpr std::size_t max_modules = 512;
  static constexpr std::size_t path_pool_size = 64 * 1024;

  struct segment {
    std::uintptr_t start;
    std::uintptr_t end;
    std::uintptr_t bias;
    std::uint32_t module;
  };
  struct module_entry {
    std::uint32_t path_offset;
    bool main_program;
  };

  std::mutex mutex_;
  segment segments_[max_segments];
  module_entry modules_[max_modules];
  char paths_[path_pool_size];
  std::size_t segment_count_ = 0;
  std::size_t module_count_ = 0;
  std::size_t paths_used_ = 0;
  unsigned long long loads_ = 0;  // load_count() at the last refresh
};

}  // namespace tether::detail
