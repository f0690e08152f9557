// tether-prof perfetto: a Perfetto trace (protobuf TracePackets carrying
// TrackEvents), written with Debian's protozero encoder and streamed: each
// packet goes out as soon as it is built, and the writer keeps only the
// resources alive at once.
//
// What it shows (one packet sequence, events in time order):
//   - a thread track per recorded thread: a `<TYPE>` slice from each before
//     to its after, with async_id and trigger_id annotations; nesting is
//     guaranteed (an after whose before was lost is skipped, an after that
//     skips frames closes them, open slices close at the end);
//   - per type, a group of async tracks ("lanes") holding each resource's
//     life from init to destroy; a resource takes the first free lane, so
//     slices on a lane never overlap (at most max_lanes per type);
//   - flows: an `init` instant in the creating context (inside the trigger's
//     callback) starts a flow with the resource's id, each callback
//     continues it, the `destroy` instant (or "pending at end") ends it;
//   - a counter track of pending resources; an instant where events were lost.
//
// Field numbers are Perfetto's (protos/perfetto/trace/...); flow ids are
// fixed64. tests/profiler/perfetto_subset.proto lists the ones used here.

#include <protozero/pbf_writer.hpp>

#include <algorithm>
#include <functional>
#include <map>
#include <ostream>
#include <queue>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "profiler/analysis/outputs.hpp"

namespace tether::profiler::analysis {
namespace {

namespace field {
// Trace
constexpr protozero::pbf_tag_type packet = 1;
// TracePacket
constexpr protozero::pbf_tag_type timestamp = 8;
constexpr protozero::pbf_tag_type trusted_packet_sequence_id = 10;
constexpr protozero::pbf_tag_type track_event = 11;
constexpr protozero::pbf_tag_type interned_data = 12;
constexpr protozero::pbf_tag_type sequence_flags = 13;
constexpr protozero::pbf_tag_type track_descriptor = 60;
constexpr protozero::pbf_tag_type first_packet_on_sequence = 87;
// TrackDescriptor
constexpr protozero::pbf_tag_type uuid = 1;
constexpr protozero::pbf_tag_type name = 2;
constexpr protozero::pbf_tag_type process = 3;
constexpr protozero::pbf_tag_type thread = 4;
constexpr protozero::pbf_tag_type parent_uuid = 5;
constexpr protozero::pbf_tag_type counter = 8;
// ProcessDescriptor / ThreadDescriptor
constexpr protozero::pbf_tag_type pid = 1;
constexpr protozero::pbf_tag_type process_name = 6;
constexpr protozero::pbf_tag_type tid = 2;
constexpr protozero::pbf_tag_type thread_name = 5;
// TrackEvent
constexpr protozero::pbf_tag_type category_iids = 3;
constexpr protozero::pbf_tag_type debug_annotations = 4;
constexpr protozero::pbf_tag_type type = 9;
constexpr protozero::pbf_tag_type name_iid = 10;
constexpr protozero::pbf_tag_type track_uuid = 11;
constexpr protozero::pbf_tag_type counter_value = 30;
constexpr protozero::pbf_tag_type flow_ids = 47;
constexpr protozero::pbf_tag_type terminating_flow_ids = 48;
// InternedData
constexpr protozero::pbf_tag_type event_categories = 1;
constexpr protozero::pbf_tag_type event_names = 2;
constexpr protozero::pbf_tag_type debug_annotation_names = 3;
// EventCategory / EventName / DebugAnnotationName
constexpr protozero::pbf_tag_type iid = 1;
constexpr protozero::pbf_tag_type interned_name = 2;
// DebugAnnotation
constexpr protozero::pbf_tag_type annotation_name_iid = 1;
constexpr protozero::pbf_tag_type uint_value = 3;
}  // namespace field

enum event_type : std::uint32_t { slice_begin = 1, slice_end = 2, instant = 3, counter_event = 4 };
enum : std::uint32_t { incremental_state_cleared = 1, needs_incremental_state = 2 };
constexpr std::uint32_t sequence_id = 1;

// Categories and annotation names, interned once in the first packet.
enum category : std::uint64_t { cat_callback = 1, cat_lifetime = 2, cat_init = 3, cat_tether = 4 };
enum annotation : std::uint64_t { ann_async_id = 1, ann_trigger_id = 2, ann_count = 3 };

constexpr std::uint64_t process_uuid = 1;
constexpr std::uint64_t counter_uuid = 2;
constexpr std::uint64_t thread_uuid_base = 0x100000;
constexpr std::uint64_t type_group_uuid_base = 0x200000000ull;
constexpr std::uint64_t lane_uuid_base = 0x400000000ull;
constexpr std::uint32_t max_lanes = 256;
constexpr std::size_t flush_bytes = std::size_t{1} << 20;

struct live_resource {
  std::uint32_t type;
  std::int32_t lane;  // -1: not drawn
};

struct type_lanes {
  std::uint32_t used = 0;  // lanes created
  std::priority_queue<std::uint32_t, std::vector<std::uint32_t>, std::greater<>> free;
};

class perfetto_writer final : public trace_consumer {
 public:
  perfetto_writer(std::ostream& out, perfetto_stats* stats) : out_(out), stats_(stats) {}

  void on_info(const trace_info& info) override {
    info_ = info;
    {
      protozero::pbf_writer p(trace_, field::packet);
      p.add_uint32(field::trusted_packet_sequence_id, sequence_id);
      p.add_uint32(field::sequence_flags, incremental_state_cleared);
      p.add_bool(field::first_packet_on_sequence, true);
      p.add_uint64(field::timestamp, info.start_ns);
      protozero::pbf_writer interned(p, field::interned_data);
      for (auto [iid, text] : {std::pair{cat_callback, "callback"}, std::pair{cat_lifetime, "lifetime"},
                               std::pair{cat_init, "init"}, std::pair{cat_tether, "tether"}}) {
        protozero::pbf_writer c(interned, field::event_categories);
        c.add_uint64(field::iid, iid);
        c.add_string(field::interned_name, text);
      }
      for (auto [iid, text] : {std::pair{ann_async_id, "async_id"}, std::pair{ann_trigger_id, "trigger_id"},
                               std::pair{ann_count, "count"}}) {
        protozero::pbf_writer a(interned, field::debug_annotation_names);
        a.add_uint64(field::iid, iid);
        a.add_string(field::interned_name, text);
      }
    }
    std::string name = info.command.substr(0, info.command.find(' '));
    {
      protozero::pbf_writer p(trace_, field::packet);
      p.add_uint32(field::trusted_packet_sequence_id, sequence_id);
      protozero::pbf_writer t(p, field::track_descriptor);
      t.add_uint64(field::uuid, process_uuid);
      protozero::pbf_writer proc(t, field::process);
      proc.add_int32(field::pid, static_cast<std::int32_t>(info.pid));
      proc.add_string(field::process_name, name.empty() ? "tether" : name);
    }
    packets_ += 2;
    declare_track(counter_uuid, "pending async resources", process_uuid, true);
    flush(false);
  }

  void on_thread(const thread_info& t) override {
    if (threads_.size() <= t.index) {
      threads_.resize(t.index + 1);
      stacks_.resize(t.index + 1);
    }
    protozero::pbf_writer p(trace_, field::packet);
    p.add_uint32(field::trusted_packet_sequence_id, sequence_id);
    protozero::pbf_writer d(p, field::track_descriptor);
    d.add_uint64(field::uuid, thread_uuid_base + t.index);
    d.add_uint64(field::parent_uuid, process_uuid);
    protozero::pbf_writer th(d, field::thread);
    th.add_int32(field::pid, static_cast<std::int32_t>(info_.pid));
    th.add_int32(field::tid, static_cast<std::int32_t>(t.tid));
    th.add_string(field::thread_name, t.name.empty() ? "thread " + std::to_string(t.index) : t.name);
    threads_[t.index] = true;
    ++packets_;
  }

  void on_type(std::uint32_t id, std::string_view name) override {
    if (type_names_.size() <= id) {
      type_names_.resize(id + 1);
    }
    type_names_[id] = std::string(name);
  }

  void on_event(const trace_event& e) override {
    last_ts_ = std::max(last_ts_, e.ts);
    if (e.thread >= stacks_.size()) {
      stacks_.resize(e.thread + 1);
      threads_.resize(e.thread + 1);
    }
    if (!threads_[e.thread]) {  // no thread record (damaged file): declare a bare track
      on_thread(thread_info{e.thread, 0, {}});
    }
    const std::uint64_t thread_track = thread_uuid_base + e.thread;
    std::vector<std::uint64_t>& stack = stacks_[e.thread];
    switch (e.kind) {
      case format::kind::init: {
        const std::int32_t lane = take_lane(e.type);
        live_[e.id] = live_resource{e.type, lane};
        track_event(e.ts, instant, thread_track, cat_init, e.type, e.id, e.trigger, flow_begin(e.id));
        if (lane >= 0) {
          track_event(e.ts, slice_begin, lane_uuid(e.type, static_cast<std::uint32_t>(lane)), cat_lifetime, e.type, e.id,
                      e.trigger, {});
        }
        pending_changed(e.ts, +1);
        break;
      }
      case format::kind::before: {
        auto it = live_.find(e.id);
        if (it == live_.end()) {
          return;  // init not in the trace: nothing to name it by
        }
        stack.push_back(e.id);
        track_event(e.ts, slice_begin, thread_track, cat_callback, it->second.type, e.id, 0, flow_step(e.id));
        break;
      }
      case format::kind::after: {
        auto match = std::find(stack.rbegin(), stack.rend(), e.id);
        if (match == stack.rend()) {
          return;  // its before was lost or not in the trace
        }
        while (!stack.empty()) {
          const std::uint64_t id = stack.back();
          stack.pop_back();
          track_event(e.ts, slice_end, thread_track, 0, 0, 0, 0, {});
          if (id == e.id) {
            break;
          }
        }
        break;
      }
      case format::kind::destroy: {
        auto it = live_.find(e.id);
        if (it == live_.end()) {
          return;
        }
        end_life(e.ts, thread_track, e.id, it->second);
        live_.erase(it);
        pending_changed(e.ts, -1);
        break;
      }
      case format::kind::promise_resolve:
        break;  // the callbacks that follow show it
      case format::kind::lost: {
        protozero::pbf_writer p(trace_, field::packet);
        p.add_uint64(field::timestamp, e.ts);
        p.add_uint32(field::trusted_packet_sequence_id, sequence_id);
        p.add_uint32(field::sequence_flags, needs_incremental_state);
        intern_name(p, lost_name_iid, "events lost");
        protozero::pbf_writer te(p, field::track_event);
        te.add_uint32(field::type, instant);
        te.add_uint64(field::track_uuid, thread_track);
        te.add_uint64(field::category_iids, cat_tether);
        te.add_uint64(field::name_iid, lost_name_iid);
        protozero::pbf_writer a(te, field::debug_annotations);
        a.add_uint64(field::annotation_name_iid, ann_count);
        a.add_uint64(field::uint_value, e.id);
        ++packets_;
        break;
      }
    }
    flush(false);
  }

  void on_end(const trace_end& end) override {
    const std::uint64_t end_ts = std::max(end.present ? end.end_ns : 0, last_ts_);
    for (std::uint32_t t = 0; t < stacks_.size(); ++t) {
      for (std::size_t i = 0; i < stacks_[t].size(); ++i) {
        track_event(end_ts, slice_end, thread_uuid_base + t, 0, 0, 0, 0, {});
      }
      stacks_[t].clear();
    }
    // Pending at exit: their lives end with the trace, their flows too.
    std::vector<std::pair<std::uint64_t, live_resource>> pending(live_.begin(), live_.end());
    std::sort(pending.begin(), pending.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [id, r] : pending) {
      end_life(end_ts, counter_uuid_for_pending(), id, r);
    }
    live_.clear();
    counter(end_ts, pending_);
    flush(true);
    if (stats_ != nullptr) {
      stats_->packets = packets_;
    }
  }

 private:
  using flow = std::pair<protozero::pbf_tag_type, std::uint64_t>;  // (flow_ids or terminating_flow_ids, id)
  static flow flow_begin(std::uint64_t id) { return {field::flow_ids, id}; }
  static flow flow_step(std::uint64_t id) { return {field::flow_ids, id}; }
  static flow flow_end(std::uint64_t id) { return {field::terminating_flow_ids, id}; }

  // Instants for resources still pending at the end go on a track of their
  // own (the process's), not on a thread where slices may have just closed.
  std::uint64_t counter_uuid_for_pending() {
    if (!pending_track_declared_) {
      declare_track(pending_track_uuid, "pending at end of trace", process_uuid);
      pending_track_declared_ = true;
    }
    return pending_track_uuid;
  }

  void end_life(std::uint64_t ts, std::uint64_t instant_track, std::uint64_t id, const live_resource& r) {
    if (r.lane >= 0) {
      track_event(ts, slice_end, lane_uuid(r.type, static_cast<std::uint32_t>(r.lane)), 0, 0, 0, 0, {});
      lanes_[r.type].free.push(static_cast<std::uint32_t>(r.lane));
    }
    track_event(ts, instant, instant_track, cat_lifetime, r.type, id, 0, flow_end(id));
  }

  std::uint64_t lane_uuid(std::uint32_t type, std::uint32_t lane) const {
    return lane_uuid_base + (static_cast<std::uint64_t>(type) << 12) + lane;
  }

  /// A named track under `parent` (a counter track with `counter`).
  void declare_track(std::uint64_t uuid, std::string_view name, std::uint64_t parent, bool counter = false) {
    protozero::pbf_writer p(trace_, field::packet);
    p.add_uint32(field::trusted_packet_sequence_id, sequence_id);
    protozero::pbf_writer t(p, field::track_descriptor);
    t.add_uint64(field::uuid, uuid);
    t.add_string(field::name, name.data(), name.size());
    t.add_uint64(field::parent_uuid, parent);
    if (counter) {
      protozero::pbf_writer c(t, field::counter);
    }
    ++packets_;
  }

  std::int32_t take_lane(std::uint32_t type) {
    type_lanes& l = lanes_[type];
    if (!l.free.empty()) {
      const std::uint32_t lane = l.free.top();
      l.free.pop();
      return static_cast<std::int32_t>(lane);
    }
    if (l.used >= max_lanes) {
      if (stats_ != nullptr) {
        ++stats_->lifetimes_not_drawn;
      }
      return -1;
    }
    const std::string type_name = name_of(type);
    if (l.used == 0) {
      declare_track(type_group_uuid_base + type, type_name + " lifetimes", process_uuid);
    }
    const std::uint32_t lane = l.used++;
    declare_track(lane_uuid(type, lane), type_name + " #" + std::to_string(lane), type_group_uuid_base + type);
    return static_cast<std::int32_t>(lane);
  }

  std::string name_of(std::uint32_t type) const {
    return type < type_names_.size() && !type_names_[type].empty() ? type_names_[type] : "type#" + std::to_string(type);
  }

  /// Adds the interned name to this packet if the sequence has not seen it.
  void intern_name(protozero::pbf_writer& packet, std::uint64_t iid, std::string_view text) {
    if (interned_.insert(iid).second) {
      protozero::pbf_writer interned(packet, field::interned_data);
      protozero::pbf_writer n(interned, field::event_names);
      n.add_uint64(field::iid, iid);
      n.add_string(field::interned_name, text.data(), text.size());
    }
  }

  void track_event(std::uint64_t ts, event_type t, std::uint64_t track, std::uint64_t cat, std::uint32_t type,
                   std::uint64_t id, std::uint64_t trigger, flow f) {
    protozero::pbf_writer p(trace_, field::packet);
    p.add_uint64(field::timestamp, ts);
    p.add_uint32(field::trusted_packet_sequence_id, sequence_id);
    p.add_uint32(field::sequence_flags, needs_incremental_state);
    // Event names: type ids shifted past the fixed names.
    const std::uint64_t name_iid = first_type_iid + type;
    if (t != slice_end) {
      intern_name(p, name_iid, name_of(type));
    }
    protozero::pbf_writer te(p, field::track_event);
    te.add_uint32(field::type, t);
    te.add_uint64(field::track_uuid, track);
    if (t != slice_end) {
      te.add_uint64(field::category_iids, cat);
      te.add_uint64(field::name_iid, name_iid);
      {
        protozero::pbf_writer a(te, field::debug_annotations);
        a.add_uint64(field::annotation_name_iid, ann_async_id);
        a.add_uint64(field::uint_value, id);
      }
      if (trigger != 0) {
        protozero::pbf_writer a(te, field::debug_annotations);
        a.add_uint64(field::annotation_name_iid, ann_trigger_id);
        a.add_uint64(field::uint_value, trigger);
      }
      if (f.first != 0) {
        te.add_fixed64(f.first, f.second);
      }
    }
    ++packets_;
  }

  void pending_changed(std::uint64_t ts, std::int64_t delta) {
    pending_ = static_cast<std::uint64_t>(static_cast<std::int64_t>(pending_) + delta);
    // At most one counter sample per 100 us keeps the track readable.
    if (ts >= last_counter_ts_ + 100'000) {
      counter(ts, pending_);
    }
  }

  void counter(std::uint64_t ts, std::uint64_t value) {
    protozero::pbf_writer p(trace_, field::packet);
    p.add_uint64(field::timestamp, ts);
    p.add_uint32(field::trusted_packet_sequence_id, sequence_id);
    p.add_uint32(field::sequence_flags, needs_incremental_state);
    protozero::pbf_writer te(p, field::track_event);
    te.add_uint32(field::type, counter_event);
    te.add_uint64(field::track_uuid, counter_uuid);
    te.add_int64(field::counter_value, static_cast<std::int64_t>(value));
    last_counter_ts_ = ts;
    ++packets_;
  }

  void flush(bool force) {
    if (force || buffer_.size() >= flush_bytes) {
      out_.write(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
      buffer_.clear();
    }
  }

  static constexpr std::uint64_t lost_name_iid = 1;
  static constexpr std::uint64_t first_type_iid = 16;
  static constexpr std::uint64_t pending_track_uuid = 3;

  std::ostream& out_;
  perfetto_stats* stats_;
  std::string buffer_;
  protozero::pbf_writer trace_{buffer_};
  trace_info info_;
  std::vector<bool> threads_;
  std::vector<std::vector<std::uint64_t>> stacks_;
  std::vector<std::string> type_names_;
  std::unordered_map<std::uint64_t, live_resource> live_;
  std::unordered_map<std::uint32_t, type_lanes> lanes_;
  std::unordered_set<std::uint64_t> interned_;
  std::uint64_t pending_ = 0;
  std::uint64_t last_counter_ts_ = 0;
  std::uint64_t last_ts_ = 0;
  std::uint64_t packets_ = 0;
  bool pending_track_declared_ = false;
};

}  // namespace

std::unique_ptr<trace_consumer> make_perfetto_writer(std::ostream& out, perfetto_stats* stats) {
  return std::make_unique<perfetto_writer>(out, stats);
}

}  // namespace tether::profiler::analysis
