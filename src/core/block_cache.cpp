// The per-thread block cache (detail/block_cache.hpp): its thread_local and
// the flush at thread exit.

#include <tether/detail/block_cache.hpp>

namespace tether::detail {

constinit thread_local block_cache tls_block_cache{};

namespace {

struct block_cache_flush {
  block_cache_flush() = default;
  block_cache_flush(const block_cache_flush&) = delete;
  block_cache_flush& operator=(const block_cache_flush&) = delete;
  ~block_cache_flush() {
    block_cache& bc = tls_block_cache;
    bc.mode = 2;
    for (std::size_t c = 0; c < block_cache::classes; ++c) {
      while (void* p = bc.heads[c]) {
        bc.heads[c] = *static_cast<void**>(p);
        ::operator delete(p);
      }
      bc.counts[c] = 0;
    }
  }
};

}  // namespace

bool block_cache_start() noexcept {
  block_cache& bc = tls_block_cache;
  if (bc.mode == 0) {
    // Constructing the thread_local registers its destructor: the flush at
    // thread exit. Blocks freed after that go straight to operator delete.
    static thread_local block_cache_flush flush;
    (void)flush;
    bc.mode = 1;
  }
  return bc.mode == 1;
}

}  // namespace tether::detail
