#pragma once
// What tether-prof's report and summary show, computed in one pass over a
// trace (time-ordered events) with memory bounded by the resources alive at
// once, the number of distinct bubbles and 4 bytes per resource id seen.
//
// Bubbles (bubbleprof's aggregate nodes): a resource's bubble is the child of
// its trigger's bubble identified by the resource's type (and, once the
// stack_trace layer feeds them, its creation stack). A resource whose type
// already appears on the path above joins that ancestor instead, so
// recursive chains (an interval re-arming, a promise chain, a request loop)
// fold into one bubble and the graph's depth is bounded by the number of
// distinct types.
//
// Times per resource: "in callbacks" is self time (a nested callback's time
// is its own resource's); "waiting" is the rest of its life (alive, not
// running); both summed per bubble and per type.

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "profiler/analysis/trace_reader.hpp"

namespace tether::profiler::analysis {

struct model_limits {
  std::size_t max_nodes = 5000;        // more distinct bubbles fold into their parent
  std::size_t tree_resources = 20000;  // resources kept for the resource tree (the first ones)
  std::size_t slowest = 100;           // slowest callbacks kept
  std::size_t pending = 200;           // pending-at-exit examples kept (oldest first)
  std::size_t timeline_buckets = 600;  // the timeline's resolution
  std::size_t timeline_nodes = 300;    // bubbles with their own timeline series
};

struct bubble {
  std::int32_t parent = -1;  // -1: a thread's top level
  std::uint32_t type = 0;    // type id; roots: 0
  std::uint32_t stack = 0;
  std::uint32_t thread = 0;  // roots: the thread; others: unused
  std::uint32_t depth = 0;
  bool root = false;
  std::uint64_t resources = 0;
  std::uint64_t callbacks = 0;
  std::uint64_t callback_ns = 0;  // self time
  std::uint64_t max_callback_ns = 0;
  std::uint64_t wait_ns = 0;
  std::uint64_t never_run = 0;  // destroyed (or pending) without one callback
  std::uint64_t pending_at_end = 0;
  std::uint64_t resolves = 0;
  std::uint32_t children_folded = 0;  // created past max_nodes, counted here
};

struct type_summary {
  std::uint64_t resources = 0;
  std::uint64_t callbacks = 0;
  std::uint64_t callback_ns = 0;
  std::uint64_t max_callback_ns = 0;
  std::uint64_t wait_ns = 0;
  std::uint64_t pending_at_end = 0;
};

struct tree_entry {
  std::uint64_t id = 0;
  std::int32_t parent = -1;  // index in model::tree, -1: a root
  std::uint32_t node = 0;
  std::uint32_t type = 0;
  std::uint32_t thread = 0;
  std::uint64_t init_ns = 0;  // relative to model::t0
  std::int64_t end_ns = -1;   // destroy, relative; -1: pending at exit
  std::uint32_t callbacks = 0;
  std::uint64_t callback_ns = 0;
  std::uint32_t omitted_children = 0;  // children past the tree's limit
};

struct callback_record {
  std::uint64_t id = 0;
  std::uint32_t node = 0;
  std::uint32_t type = 0;
  std::uint32_t thread = 0;
  std::uint64_t start_ns = 0;  // relative to t0
  std::uint64_t duration_ns = 0;
  std::uint64_t self_ns = 0;
};

struct pending_record {
  std::uint64_t id = 0;
  std::uint64_t trigger = 0;
  std::uint32_t node = 0;
  std::uint32_t type = 0;
  std::uint32_t thread = 0;
  std::uint32_t stack = 0;
  std::uint64_t init_ns = 0;  // relative to t0
  std::uint64_t age_ns = 0;   // at the end of the trace
  std::uint32_t callbacks = 0;
};

struct loss_record {
  std::uint64_t at_ns = 0;  // relative to t0
  std::uint32_t thread = 0;
  std::uint64_t count = 0;
};

struct timeline {
  std::uint64_t bucket_ns = 1'000'000;
  std::vector<std::uint32_t> total;  // max resources pending in each bucket
  std::unordered_map<std::uint32_t, std::vector<std::uint32_t>> by_node;
};

class profile_model final : public trace_consumer {
 public:
  explicit profile_model(model_limits limits = {});
  ~profile_model() override;

  void on_info(const trace_info& info) override;
  void on_thread(const thread_info& t) override;
  void on_type(std::uint32_t id, std::string_view name) override;
  void on_event(const trace_event& e) override;
  void on_end(const trace_end& end) override;

  // Results (valid after on_end).
  trace_info info;
  trace_end end;
  read_result file;  // filled by the caller from read_trace's result
  std::uint64_t t0 = 0;        // time origin: the recording's start
  std::uint64_t duration_ns = 0;
  std::uint64_t events = 0;
  std::uint64_t resources = 0;
  std::uint64_t callbacks = 0;
  std::uint64_t orphan_events = 0;       // before/after/destroy of a resource whose init is not in the trace
  std::uint64_t unmatched_afters = 0;    // an after with no open before (its before was lost)
  std::uint64_t open_at_end = 0;         // callbacks still running when the trace ended
  std::uint64_t tree_omitted = 0;        // resources past the tree's limit
  std::vector<std::string> type_names;   // by type id
  std::vector<thread_info> threads;      // by thread index
  std::vector<bubble> nodes;
  std::vector<type_summary> types;       // by type id
  std::vector<tree_entry> tree;
  std::vector<callback_record> slowest;  // longest first
  std::vector<pending_record> pending;   // oldest first
  std::uint64_t pending_total = 0;
  std::vector<loss_record> losses;
  timeline pending_timeline;

  std::string type_name(std::uint32_t type) const;
  std::string thread_label(std::uint32_t thread) const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  model_limits limits_;
};

/// Reads `path` into a model.
std::unique_ptr<profile_model> load_model(const std::string& path, const progress_fn& progress = {},
                                          model_limits limits = {});

}  // namespace tether::profiler::analysis
