#pragma once
// Not API. May change without notice.
//
// Per-thread free lists of small blocks, in 64-byte size classes up to 1 KiB:
// what the core's context frames and the runtime's coroutine frames and
// promise states are allocated from, so that a request's run() and its
// awaits reuse memory instead of going to malloc each time. Any thread may
// free a block another allocated (a free goes to the freeing thread's
// lists). Bounded: at most max_per_class blocks per class and thread, the
// rest go back to operator delete; a thread's lists are freed when it exits.
// Bypassed under AddressSanitizer, so that it still sees every
// use-after-free.

#include <cstddef>
#include <cstdint>
#include <new>

#include <tether/detail/thread_state.hpp>

#if defined(__SANITIZE_ADDRESS__)
#define TETHER_BLOCK_CACHE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TETHER_BLOCK_CACHE 0
#endif
#endif
#ifndef TETHER_BLOCK_CACHE
#define TETHER_BLOCK_CACHE 1
#endif

namespace tether::detail {

struct block_cache {
  static constexpr std::size_t granule = 64;
  static constexpr std::size_t classes = 16;
  static constexpr std::uint32_t max_per_class = 512;
  void* heads[classes];
  std::uint32_t counts[classes];
};
extern constinit thread_local block_cache tls_block_cache;

/// A block of at least `n` bytes (n > 0), aligned for any fundamental type.
inline void* cached_alloc(std::size_t n) {
#if TETHER_BLOCK_CACHE
  const std::size_t c = (n - 1) / block_cache::granule;
  if (c < block_cache::classes) {
    block_cache& bc = tls_block_cache;
    if (void* p = bc.heads[c]; p != nullptr) {
      bc.heads[c] = *static_cast<void**>(p);
      --bc.counts[c];
      return p;
    }
    return ::operator new((c + 1) * block_cache::granule);
  }
#endif
  return ::operator new(n);
}

/// Frees a block from cached_alloc(n), with the same `n`.
inline void cached_free(void* p, std::size_t n) noexcept {
#if TETHER_BLOCK_CACHE
  const std::size_t c = (n - 1) / block_cache::granule;
  if (c < block_cache::classes) {
    block_cache& bc = tls_block_cache;
    // running(): the thread's exit flushes the lists (and registers that
    // before the first block is kept); an exiting thread keeps none.
    if (bc.counts[c] < block_cache::max_per_class && running(tls)) {
      *static_cast<void**>(p) = bc.heads[c];
      bc.heads[c] = p;
      ++bc.counts[c];
      return;
    }
  }
#else
  (void)n;
#endif
  ::operator delete(p);
}

}  // namespace tether::detail
