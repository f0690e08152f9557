#pragma once
// The tether trace file: what the recorder writes and tether-prof reads.
//
//   file    = magic "TETHERPF" (8 bytes), version (u32, little endian), record*
//   record  = tag (1 byte), payload length (varint), payload
//
// A record is self-delimiting, so a reader skips tags it does not know and a
// file cut short (the process was killed) is read up to its last whole
// record. Integers in payloads are LEB128 varints; signed ones zigzag.
// Timestamps are nanoseconds of CLOCK_MONOTONIC (docs/profiler.md, "Clock").
//
// Records:
//   info    pid, start_unix_ns, start_mono_ns, buffer_events, clock name (string),
//           command line (string)
//   thread  thread index, tid, name (string); may repeat with a newer name
//   type    type id, name (string); written before any event that uses the id
//   stack   reserved for init-site stacks (stack_trace layer)
//   chunk   thread index, first timestamp, event count, events
//   cycle   watermark: every event stamped before it (by more than one cycle)
//           is in an earlier record (see event_merger in src/profiler/analysis)
//   end     end_mono_ns, recorded, dropped, reason, message (string)
//
// An event in a chunk: varint((ts - previous ts) << 3 | kind), then
//   init:     zigzag(id - previous id), zigzag(id - trigger), type id, stack id
//   lost:     number of events dropped here (the id field)
//   others:   zigzag(id - previous id)
// "previous" restarts at the chunk's first timestamp and id 0.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace tether::profiler::format {

inline constexpr char magic[8] = {'T', 'E', 'T', 'H', 'E', 'R', 'P', 'F'};
inline constexpr std::uint32_t version = 1;
inline constexpr std::size_t header_size = 12;

enum class tag : std::uint8_t { info = 1, thread = 2, type = 3, stack = 4, chunk = 5, cycle = 6, end = 7 };

/// Event kinds (3 bits). The first five are the hook events.
enum class kind : std::uint8_t { init = 0, before = 1, after = 2, destroy = 3, promise_resolve = 4, lost = 5 };
inline constexpr unsigned kind_bits = 3;

/// Why a recording ended (end record).
enum class end_reason : std::uint8_t { stopped = 0, exited = 1, terminated = 2, signal = 3 };

inline void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(static_cast<std::uint8_t>(v) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

inline std::uint64_t zigzag(std::int64_t v) noexcept {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

inline std::int64_t unzigzag(std::uint64_t v) noexcept {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

inline void put_string(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out.append(s);
}

/// Appends one record: tag, length, payload.
inline void put_record(std::string& out, tag t, std::string_view payload) {
  out.push_back(static_cast<char>(t));
  put_varint(out, payload.size());
  out.append(payload);
}

/// Reads one varint from [p, end); false if it runs past end or is too long.
inline bool get_varint(const unsigned char*& p, const unsigned char* end, std::uint64_t& v) noexcept {
  v = 0;
  for (unsigned shift = 0; shift < 64 && p < end; shift += 7) {
    const unsigned char b = *p++;
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      return true;
    }
  }
  return false;
}

}  // namespace tether::profiler::format
