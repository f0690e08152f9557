// trace_id / span_id: hex and random generation.

#include <tether/trace.hpp>

#include <algorithm>
#include <random>

#include "trace/hex.hpp"

namespace tether::trace {

namespace {

// xoshiro256** (Blackman & Vigna): fast, and good enough for ids that must
// be unique, not secret. One generator per thread, seeded from the OS once.
class id_generator {
 public:
  id_generator() noexcept {
    std::random_device os;
    for (std::uint64_t& word : s_) {
      word = (std::uint64_t{os()} << 32) ^ os();
    }
    if (std::all_of(std::begin(s_), std::end(s_), [](std::uint64_t w) { return w == 0; })) {
      s_[0] = 0x9e3779b97f4a7c15ULL;  // the all-zero state never leaves zero
    }
  }

  std::uint64_t next() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  template <std::size_t N>
  void fill(std::array<std::uint8_t, N>& out) noexcept {
    do {
      for (std::size_t i = 0; i < N; i += 8) {
        std::uint64_t w = next();
        for (std::size_t j = i; j < i + 8 && j < N; ++j, w >>= 8) {
          out[j] = static_cast<std::uint8_t>(w);
        }
      }
    } while (std::all_of(out.begin(), out.end(), [](std::uint8_t b) { return b == 0; }));
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4]{};
};

id_generator& generator() noexcept {
  thread_local id_generator g;
  return g;
}

template <std::size_t N>
bool any_set(const std::array<std::uint8_t, N>& b) noexcept {
  return std::any_of(b.begin(), b.end(), [](std::uint8_t x) { return x != 0; });
}

}  // namespace

bool trace_id::valid() const noexcept { return any_set(bytes); }
std::string trace_id::to_hex() const { return detail::to_hex(bytes); }
std::optional<trace_id> trace_id::from_hex(std::string_view hex) noexcept {
  trace_id id;
  if (!detail::from_hex(hex, id.bytes) || !id.valid()) {
    return std::nullopt;
  }
  return id;
}
trace_id trace_id::random() noexcept {
  trace_id id;
  generator().fill(id.bytes);
  return id;
}

bool span_id::valid() const noexcept { return any_set(bytes); }
std::string span_id::to_hex() const { return detail::to_hex(bytes); }
std::optional<span_id> span_id::from_hex(std::string_view hex) noexcept {
  span_id id;
  if (!detail::from_hex(hex, id.bytes) || !id.valid()) {
    return std::nullopt;
  }
  return id;
}
span_id span_id::random() noexcept {
  span_id id;
  generator().fill(id.bytes);
  return id;
}

}  // namespace tether::trace
