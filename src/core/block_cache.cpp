// The per-thread block cache (detail/block_cache.hpp): its thread_local and
// the flush at thread exit.

#include <tether/detail/block_cache.hpp>

#include "core/thread_exit.hpp"

namespace tether::detail {

constinit thread_local block_cache tls_block_cache{};

void flush_block_cache() noexcept {
  block_cache& bc = tls_block_cache;
  for (std::size_t c = 0; c < block_cache::classes; ++c) {
    while (void* p = bc.heads[c]) {
      bc.heads[c] = *static_cast<void**>(p);
      ::operator delete(p);
    }
    bc.counts[c] = 0;
  }
}

}  // namespace tether::detail
