#include "stack_trace/module_map.hpp"

#include <link.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <new>

namespace tether::detail {

module_map& module_map::instance() noexcept {
  // Never destroyed: a signal handler or another thread may use it at exit.
  alignas(module_map) static unsigned char storage[sizeof(module_map)];
  static module_map* const map = ::new (storage) module_map();
  return *map;
}

module_map::module_map() noexcept {
  const std::lock_guard lock(mutex_);
  refresh_locked();
}

int module_map::add_module(dl_phdr_info* info, std::size_t, void* self) noexcept {
  auto& m = *static_cast<module_map*>(self);
  if (m.module_count_ == max_modules) {
    return 1;
  }
  // The program comes first, with an empty name.
  const bool main_program = m.module_count_ == 0;
  char program[4096];
  const char* path = info->dlpi_name;
  if (main_program || path == nullptr || path[0] == '\0') {
    const ssize_t n = ::readlink("/proc/self/exe", program, sizeof program - 1);
    program[n > 0 ? n : 0] = '\0';
    path = main_program ? program : (path != nullptr && path[0] != '\0' ? path : "[vdso]");
  }
  const std::size_t length = std::strlen(path);
  if (m.paths_used_ + length + 1 > path_pool_size) {
    return 1;
  }
  const auto index = static_cast<std::uint32_t>(m.module_count_++);
  m.modules_[index] = {static_cast<std::uint32_t>(m.paths_used_), main_program};
  std::memcpy(m.paths_ + m.paths_used_, path, length + 1);
  m.paths_used_ += length + 1;
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || (ph.p_flags & PF_X) == 0) {
      continue;
    }
    if (m.segment_count_ == max_segments) {
      return 1;
    }
    const std::uintptr_t start = info->dlpi_addr + ph.p_vaddr;
    m.segments_[m.segment_count_++] = {start, start + ph.p_memsz, info->dlpi_addr, index};
  }
  return 0;
}

void module_map::refresh_locked() noexcept {
  segment_count_ = 0;
  module_count_ = 0;
  paths_used_ = 0;
  ::dl_iterate_phdr(&add_module, this);
  loads_ = load_count();
}

unsigned long long module_map::load_count() noexcept {
  // dlpi_adds + dlpi_subs change whenever a module is loaded or unloaded;
  // reading them costs one callback.
  unsigned long long count = 0;
  ::dl_iterate_phdr(
      [](dl_phdr_info* info, std::size_t size, void* out) noexcept -> int {
        if (size >= offsetof(dl_phdr_info, dlpi_subs) + sizeof info->dlpi_subs) {
          *static_cast<unsigned long long*>(out) = info->dlpi_adds + info->dlpi_subs;
        }
        return 1;
      },
      &count);
  return count;
}

void module_map::refresh() noexcept {
  const std::lock_guard lock(mutex_);
  refresh_locked();
}

bool module_map::find_unlocked(std::uintptr_t address, module_hit& hit) const noexcept {
  for (std::size_t i = 0; i < segment_count_; ++i) {
    const segment& s = segments_[i];
    if (address >= s.start && address < s.end) {
      const module_entry& m = modules_[s.module];
      hit.path = paths_ + m.path_offset;
      hit.offset = address - s.bias;
      hit.main_program = m.main_program;
      return true;
    }
  }
  return false;
}

bool module_map::find(std::uintptr_t address, module_hit& hit) noexcept {
  const std::lock_guard lock(mutex_);
  if (find_unlocked(address, hit)) {
    return true;
  }
  // Garbage addresses (a broken walk) are looked up too: re-read the list
  // only if something was loaded or unloaded since.
  if (load_count() == loads_) {
    return false;
  }
  refresh_locked();
  return find_unlocked(address, hit);
}

}  // namespace tether::detail
