#pragma once
// One thread's event buffer: a fixed-size single-producer / single-consumer
// ring of 32-byte events. The recording thread is the only producer; the
// writer thread the only consumer. No locks, no allocation after creation.
//
// When the ring is full the producer drops the event and counts it; the next
// event that fits is preceded by a `lost` event carrying the count, so the
// trace says where the hole is and how big.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "profiler/trace_format.hpp"

namespace tether::profiler::detail {

struct event {
  std::uint64_t ticks;
  std::uint64_t id;       // `lost`: the number of events dropped
  std::uint64_t trigger;  // init only
  std::uint32_t kind_type;  // kind in the low 3 bits, type id above (init only)
  std::uint32_t stack;      // init-site stack id; 0 = none (stack_trace layer, later)
};
static_assert(sizeof(event) == 32);

inline constexpr std::uint32_t pack_kind(format::kind k, std::uint32_t type = 0) noexcept {
  return static_cast<std::uint32_t>(k) | (type << format::kind_bits);
}

class event_ring {
 public:
  event_ring(std::size_t capacity, std::uint32_t index, std::uint64_t tid)
      : capacity_(capacity), index_(index), tid_(tid), slots_(std::make_unique<event[]>(capacity)) {}

  /// Producer: appends `e`, or drops and counts it when full. Returns true
  /// when the ring just became half full (time to wake the writer).
  bool push(const event& e) noexcept {
    const std::uint64_t head = head_.load(std::memory_order_relaxed);
    const std::size_t need = pending_lost_ != 0 ? 2 : 1;
    if (head + need - cached_tail_ > capacity_) {
      cached_tail_ = tail_.load(std::memory_order_acquire);
      if (head + need - cached_tail_ > capacity_) {
        ++pending_lost_;
        dropped_.store(dropped_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
        return false;
      }
    }
    std::uint64_t h = head;
    if (pending_lost_ != 0) {
      slots_[h % capacity_] = event{e.ticks, pending_lost_, 0, pack_kind(format::kind::lost), 0};
      ++h;
      pending_lost_ = 0;
    }
    slots_[h % capacity_] = e;
    ++h;
    head_.store(h, std::memory_order_release);
    const std::uint64_t half = capacity_ / 2;
    return h - cached_tail_ >= half && head - cached_tail_ < half;
  }

  /// Consumer: the published range [tail, head).
  std::uint64_t consumer_tail() const noexcept { return tail_.load(std::memory_order_relaxed); }
  std::uint64_t published_head() const noexcept { return head_.load(std::memory_order_acquire); }
  const event& at(std::uint64_t position) const noexcept { return slots_[position % capacity_]; }
  /// Consumer: hands [old tail, new_tail) back to the producer.
  void release(std::uint64_t new_tail) noexcept { tail_.store(new_tail, std::memory_order_release); }

  std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
  std::size_t capacity() const noexcept { return capacity_; }
  std::uint32_t index() const noexcept { return index_; }
  std::uint64_t tid() const noexcept { return tid_; }

  /// The thread's name as it exits: written by the owner before it sets
  /// `closed` (release), read by the writer after it sees `closed`.
  std::string final_name;
  /// Set by the owning thread as it exits; the writer frees the ring once
  /// it has emptied it.
  std::atomic<bool> closed{false};

  // Writer-only state: what the last written event was, for the per-thread
  // monotonic clamp, and whether the thread record was written.
  std::uint64_t last_ns = 0;
  std::uint64_t marked_lost = 0;  // drops already covered by `lost` events written
  std::string announced_name;
  bool announced = false;

 private:
  const std::size_t capacity_;
  const std::uint32_t index_;
  const std::uint64_t tid_;
  std::unique_ptr<event[]> slots_;

  // Producer-written, consumer-read.
  alignas(64) std::atomic<std::uint64_t> head_{0};
  std::atomic<std::uint64_t> dropped_{0};
  // Producer-only.
  std::uint64_t cached_tail_ = 0;
  std::uint64_t pending_lost_ = 0;
  // Consumer-written, producer-read.
  alignas(64) std::atomic<std::uint64_t> tail_{0};
};

}  // namespace tether::profiler::detail
