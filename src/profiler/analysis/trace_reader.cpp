#include "profiler/analysis/trace_reader.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <fstream>
#include <queue>
#include <vector>

namespace tether::profiler::analysis {
namespace {

using format::get_varint;

struct payload_reader {
  const unsigned char* p;
  const unsigned char* end;
  bool ok = true;

  std::uint64_t u() {
    std::uint64_t v = 0;
    if (ok && !get_varint(p, end, v)) {
      ok = false;
    }
    return ok ? v : 0;
  }
  std::string str() {
    const std::uint64_t n = u();
    if (!ok || n > static_cast<std::uint64_t>(end - p)) {
      ok = false;
      return {};
    }
    std::string s(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n));
    p += n;
    return s;
  }
};

// Orders the threads' events by timestamp. The writer stamps each cycle
// with a watermark W taken before it reads any ring, so after the record
// "cycle W_k" every event stamped before W_(k-1) has been read (an event
// pushed across one whole cycle is the only exception: it is delivered late,
// clamped to the last delivered time, and counted).
class event_merger {
 public:
  explicit event_merger(trace_consumer& out, read_result& result) : out_(out), result_(result) {}

  void add(const trace_event& e) {
    if (e.thread >= queues_.size()) {
      queues_.resize(e.thread + 1);
    }
    queues_[e.thread].push_back(e);
  }

  void watermark(std::uint64_t w) {
    release(previous_watermark_);
    previous_watermark_ = std::max(previous_watermark_, w);
  }

  void finish() { release(UINT64_MAX); }

 private:
  void release(std::uint64_t limit) {
    using entry = std::pair<std::uint64_t, std::uint32_t>;  // (front ts, thread)
    std::priority_queue<entry, std::vector<entry>, std::greater<>> heap;
    for (std::uint32_t t = 0; t < queues_.size(); ++t) {
      if (!queues_[t].empty() && queues_[t].front().ts < limit) {
        heap.emplace(queues_[t].front().ts, t);
      }
    }
    while (!heap.empty()) {
      const std::uint32_t t = heap.top().second;
      heap.pop();
      trace_event e = queues_[t].front();
      queues_[t].pop_front();
      if (e.ts < last_delivered_) {
        e.ts = last_delivered_;
        ++result_.late_events;
      }
      last_delivered_ = e.ts;
      out_.on_event(e);
      if (!queues_[t].empty() && queues_[t].front().ts < limit) {
        heap.emplace(queues_[t].front().ts, t);
      }
    }
  }

  trace_consumer& out_;
  read_result& result_;
  std::vector<std::deque<trace_event>> queues_;
  std::uint64_t previous_watermark_ = 0;
  std::uint64_t last_delivered_ = 0;
};

bool decode_chunk(payload_reader& r, event_merger& merger, read_result& result) {
  const auto thread = static_cast<std::uint32_t>(r.u());
  std::uint64_t ts = r.u();
  const std::uint64_t count = r.u();
  std::uint64_t prev_id = 0;
  for (std::uint64_t i = 0; i < count && r.ok; ++i) {
    const std::uint64_t head = r.u();
    trace_event e;
    e.thread = thread;
    ts += head >> format::kind_bits;
    e.ts = ts;
    const auto k = static_cast<std::uint8_t>(head & ((1u << format::kind_bits) - 1));
    if (k > static_cast<std::uint8_t>(format::kind::lost)) {
      return false;
    }
    e.kind = static_cast<format::kind>(k);
    if (e.kind == format::kind::lost) {
      e.id = r.u();
      result.lost_events += e.id;
    } else {
      e.id = prev_id + static_cast<std::uint64_t>(format::unzigzag(r.u()));
      prev_id = e.id;
      ++result.events;
      if (e.kind == format::kind::init) {
        e.trigger = e.id - static_cast<std::uint64_t>(format::unzigzag(r.u()));
        e.type = static_cast<std::uint32_t>(r.u());
        e.stack = static_cast<std::uint32_t>(r.u());
      }
    }
    if (r.ok) {
      merger.add(e);
    }
  }
  return r.ok;
}

}  // namespace

read_result read_trace(const std::string& path, trace_consumer& consumer, const progress_fn& progress) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw trace_error(path + ": cannot open: " + std::strerror(errno));
  }
  in.seekg(0, std::ios::end);
  const auto size = static_cast<std::uint64_t>(in.tellg());
  in.seekg(0);

  char header[format::header_size];
  if (!in.read(header, sizeof header) || std::memcmp(header, format::magic, sizeof format::magic) != 0) {
    throw trace_error(path + ": not a tether trace (no TETHERPF header); record one with TETHER_PROFILE=<path> or "
                             "tether-prof run");
  }
  std::uint32_t version = 0;
  for (int i = 0; i < 4; ++i) {
    version |= static_cast<std::uint32_t>(static_cast<unsigned char>(header[8 + i])) << (8 * i);
  }
  if (version != format::version) {
    throw trace_error(path + ": trace format version " + std::to_string(version) + ", this tether-prof reads version " +
                      std::to_string(format::version));
  }

  read_result result;
  result.bytes = size;
  event_merger merger(consumer, result);
  trace_end end;
  bool saw_info = false;

  // Records are read through a buffer refilled 4 MB at a time.
  std::vector<unsigned char> buf;
  std::size_t pos = 0;
  std::uint64_t consumed = format::header_size;
  std::uint64_t next_progress = 0;
  auto fill = [&](std::size_t need) {
    if (buf.size() - pos >= need) {
      return true;
    }
    buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(pos));
    pos = 0;
    const std::size_t want = std::max<std::size_t>(need, std::size_t{4} << 20);
    const std::size_t old = buf.size();
    buf.resize(old + want);
    in.read(reinterpret_cast<char*>(buf.data() + old), static_cast<std::streamsize>(want));
    buf.resize(old + static_cast<std::size_t>(in.gcount()));
    return buf.size() >= need;
  };

  for (;;) {
    if (!fill(1)) {
      break;  // clean end of file
    }
    // tag + length: at most 11 bytes
    fill(11);
    const unsigned char* p = buf.data() + pos;
    const unsigned char* limit = buf.data() + buf.size();
    const auto t = static_cast<format::tag>(*p++);
    std::uint64_t length = 0;
    if (!get_varint(p, limit, length)) {
      result.truncated = true;
      break;
    }
    const auto header_len = static_cast<std::size_t>(p - (buf.data() + pos));
    if (length > (std::uint64_t{1} << 32) || !fill(header_len + static_cast<std::size_t>(length))) {
      result.truncated = true;
      break;
    }
    const unsigned char* body = buf.data() + pos + header_len;
    payload_reader r{body, body + length};
    pos += header_len + static_cast<std::size_t>(length);
    consumed += header_len + length;

    switch (t) {
      case format::tag::info: {
        trace_info info;
        info.pid = r.u();
        info.start_unix_ns = r.u();
        info.start_ns = r.u();
        info.buffer_events = r.u();
        info.clock = r.str();
        info.command = r.str();
        if (r.ok) {
          saw_info = true;
          consumer.on_info(info);
        }
        break;
      }
      case format::tag::thread: {
        thread_info th;
        th.index = static_cast<std::uint32_t>(r.u());
        th.tid = r.u();
        th.name = r.str();
        if (r.ok) {
          consumer.on_thread(th);
        }
        break;
      }
      case format::tag::type: {
        const auto id = static_cast<std::uint32_t>(r.u());
        const std::string name = r.str();
        if (r.ok) {
          consumer.on_type(id, name);
        }
        break;
      }
      case format::tag::chunk:
        if (!decode_chunk(r, merger, result)) {
          throw trace_error(path + ": damaged event chunk at byte " + std::to_string(consumed - length));
        }
        break;
      case format::tag::cycle: {
        const std::uint64_t w = r.u();
        if (r.ok) {
          merger.watermark(w);
        }
        break;
      }
      case format::tag::end:
        end.present = true;
        end.end_ns = r.u();
        end.recorded = r.u();
        end.dropped = r.u();
        end.reason = static_cast<format::end_reason>(r.u());
        end.message = r.str();
        break;
      default:
        break;  // a newer writer's record: skip it
    }
    if (!saw_info) {
      throw trace_error(path + ": the trace has no info record first");
    }
    if (progress && consumed >= next_progress) {
      progress(consumed, size);
      next_progress = consumed + (std::uint64_t{8} << 20);
    }
  }
  merger.finish();
  if (progress) {
    progress(size, size);
  }
  if (!end.present) {
    end.dropped = result.lost_events;
    end.recorded = result.events;
  }
  consumer.on_end(end);
  return result;
}

}  // namespace tether::profiler::analysis
