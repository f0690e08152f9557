#include "profiler/analysis/profile_model.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <tuple>

namespace tether::profiler::analysis {
namespace {

/// id -> bubble index + 1 for every id seen, 4 bytes each, in pages of 64 Ki
/// ids (ids are handed out in dense blocks, so pages fill up).
class id_table {
 public:
  std::uint32_t get(std::uint64_t id) const {
    const std::uint32_t* page = find(id >> page_bits);
    return page != nullptr ? page[id & page_mask] : 0;
  }
  void set(std::uint64_t id, std::uint32_t value) {
    const std::uint64_t key = id >> page_bits;
    std::uint32_t* page = find(key);
    if (page == nullptr) {
      auto& slot = pages_[key];
      slot = std::make_unique<std::uint32_t[]>(page_size);
      last_key_ = key;
      last_page_ = slot.get();
      page = last_page_;
    }
    page[id & page_mask] = value;
  }

 private:
  static constexpr unsigned page_bits = 16;
  static constexpr std::uint64_t page_size = std::uint64_t{1} << page_bits;
  static constexpr std::uint64_t page_mask = page_size - 1;

  std::uint32_t* find(std::uint64_t key) const {
    if (last_page_ != nullptr && key == last_key_) {
      return last_page_;
    }
    auto it = pages_.find(key);
    if (it == pages_.end()) {
      return nullptr;
    }
    last_key_ = key;
    last_page_ = it->second.get();
    return last_page_;
  }

  std::unordered_map<std::uint64_t, std::unique_ptr<std::uint32_t[]>> pages_;
  mutable std::uint64_t last_key_ = 0;
  mutable std::uint32_t* last_page_ = nullptr;
};

struct live_resource {
  std::uint64_t init_ts = 0;
  std::uint64_t ready_since = 0;  // when it last stopped running (or init)
  std::uint64_t trigger = 0;
  std::uint64_t callback_ns = 0;
  std::uint64_t wait_ns = 0;
  std::uint32_t node = 0;
  std::uint32_t type = 0;
  std::uint32_t thread = 0;
  std::uint32_t stack = 0;
  std::uint32_t callbacks = 0;
  std::uint32_t open = 0;  // callbacks running now (several threads may run one resource)
  std::int32_t tree = -1;
};

struct frame {
  std::uint64_t id;
  std::uint64_t start;
  std::uint64_t child_ns;
  bool known;  // its resource's init is in the trace
};

/// A step function sampled as the maximum per bucket; buckets double in
/// width whenever the run outgrows them, so memory is fixed.
struct series {
  std::vector<std::uint32_t> values;
  std::uint32_t current = 0;
  std::size_t last = 0;

  void set(std::size_t bucket, std::uint32_t value) {
    if (values.size() <= bucket) {
      values.resize(bucket + 1, 0);
    }
    for (std::size_t b = last + 1; b <= bucket && b < values.size(); ++b) {
      values[b] = std::max(values[b], current);
    }
    values[bucket] = std::max({values[bucket], value, bucket == last ? current : 0u});
    current = value;
    last = bucket;
  }
  void halve() {
    std::vector<std::uint32_t> merged((values.size() + 1) / 2, 0);
    for (std::size_t i = 0; i < values.size(); ++i) {
      merged[i / 2] = std::max(merged[i / 2], values[i]);
    }
    values = std::move(merged);
    last /= 2;
  }
  void finish(std::size_t bucket) { set(bucket, current); }
};

}  // namespace

struct profile_model::impl {
  id_table ids;
  std::unordered_map<std::uint64_t, live_resource> live;
  std::vector<std::vector<frame>> stacks;  // per thread
  std::map<std::tuple<std::int32_t, std::uint32_t, std::uint32_t>, std::uint32_t> children;
  std::vector<std::int32_t> thread_root;  // thread -> root bubble
  std::unordered_map<std::uint64_t, std::int32_t> tree_by_id;
  std::vector<callback_record> slowest_heap;  // min-heap on duration

  series total;
  std::vector<std::uint32_t> node_live;
  std::vector<std::int32_t> node_series;  // bubble -> index in by_node_series, -1: none
  std::vector<series> by_node_series;
  std::vector<std::uint32_t> series_node;
  std::uint64_t bucket_ns = 1'000'000;
  std::uint64_t last_ts = 0;
};

profile_model::profile_model(model_limits limits) : impl_(std::make_unique<impl>()), limits_(limits) {}
profile_model::~profile_model() = default;

void profile_model::on_info(const trace_info& i) {
  info = i;
  t0 = i.start_ns;
}

void profile_model::on_thread(const thread_info& t) {
  if (threads.size() <= t.index) {
    threads.resize(t.index + 1);
  }
  threads[t.index] = t;
}

void profile_model::on_type(std::uint32_t id, std::string_view name) {
  if (type_names.size() <= id) {
    type_names.resize(id + 1);
    types.resize(id + 1);
  }
  type_names[id] = std::string(name);
}

std::string profile_model::type_name(std::uint32_t type) const {
  return type < type_names.size() && !type_names[type].empty() ? type_names[type] : "type#" + std::to_string(type);
}

std::string profile_model::thread_label(std::uint32_t thread) const {
  std::string label = "thread " + std::to_string(thread);
  if (thread < threads.size()) {
    label += " (tid " + std::to_string(threads[thread].tid);
    if (!threads[thread].name.empty()) {
      label += ", " + threads[thread].name;
    }
    label += ")";
  }
  return label;
}

void profile_model::on_event(const trace_event& e) {
  impl& m = *impl_;
  ++events;
  if (e.ts < t0) {
    t0 = e.ts;  // a clock pair read just before the info record's
  }
  m.last_ts = std::max(m.last_ts, e.ts);
  if (m.stacks.size() <= e.thread) {
    m.stacks.resize(e.thread + 1);
    m.thread_root.resize(e.thread + 1, -1);
  }

  // The timeline: a bucket index, doubling the buckets' width as needed.
  auto bucket_of = [&](std::uint64_t ts) {
    std::size_t b = static_cast<std::size_t>((ts - t0) / m.bucket_ns);
    while (b >= limits_.timeline_buckets) {
      m.bucket_ns *= 2;
      m.total.halve();
      for (series& s : m.by_node_series) {
        s.halve();
      }
      b = static_cast<std::size_t>((ts - t0) / m.bucket_ns);
    }
    return b;
  };
  auto live_changed = [&](std::uint32_t node, std::int64_t delta) {
    const std::size_t b = bucket_of(e.ts);
    m.node_live[node] = static_cast<std::uint32_t>(static_cast<std::int64_t>(m.node_live[node]) + delta);
    const auto total = static_cast<std::uint32_t>(m.live.size());
    m.total.set(b, total);
    if (m.node_series[node] >= 0) {
      m.by_node_series[static_cast<std::size_t>(m.node_series[node])].set(b, m.node_live[node]);
    }
  };
  auto new_node = [&](bubble b) {
    const auto index = static_cast<std::uint32_t>(nodes.size());
    nodes.push_back(b);
    m.node_live.push_back(0);
    if (m.by_node_series.size() < limits_.timeline_nodes) {
      m.node_series.push_back(static_cast<std::int32_t>(m.by_node_series.size()));
      m.by_node_series.emplace_back();
      m.series_node.push_back(index);
    } else {
      m.node_series.push_back(-1);
    }
    return index;
  };
  auto root_of = [&](std::uint32_t thread) {
    if (m.thread_root[thread] < 0) {
      bubble b;
      b.root = true;
      b.thread = thread;
      m.thread_root[thread] = static_cast<std::int32_t>(new_node(b));
    }
    return static_cast<std::uint32_t>(m.thread_root[thread]);
  };

  switch (e.kind) {
    case format::kind::init: {
      ++resources;
      const std::uint32_t trigger_node = m.ids.get(e.trigger);
      const std::int32_t parent =
          trigger_node != 0 ? static_cast<std::int32_t>(trigger_node - 1) : static_cast<std::int32_t>(root_of(e.thread));
      // Recursion folds into the ancestor with the same identity.
      std::int32_t node = -1;
      for (std::int32_t n = parent; n >= 0; n = nodes[static_cast<std::size_t>(n)].parent) {
        const bubble& b = nodes[static_cast<std::size_t>(n)];
        if (!b.root && b.type == e.type && b.stack == e.stack) {
          node = n;
          break;
        }
      }
      if (node < 0) {
        const auto key = std::make_tuple(parent, e.type, e.stack);
        auto it = m.children.find(key);
        if (it != m.children.end()) {
          node = static_cast<std::int32_t>(it->second);
        } else if (nodes.size() < limits_.max_nodes) {
          bubble b;
          b.parent = parent;
          b.type = e.type;
          b.stack = e.stack;
          b.depth = nodes[static_cast<std::size_t>(parent)].depth + 1;
          node = static_cast<std::int32_t>(new_node(b));
          m.children.emplace(key, static_cast<std::uint32_t>(node));
        } else {
          node = parent;
          ++nodes[static_cast<std::size_t>(parent)].children_folded;
        }
      }
      const auto n = static_cast<std::uint32_t>(node);
      m.ids.set(e.id, n + 1);
      ++nodes[n].resources;
      if (types.size() <= e.type) {
        types.resize(e.type + 1);
        type_names.resize(e.type + 1);
      }
      ++types[e.type].resources;

      live_resource r;
      r.init_ts = e.ts;
      r.ready_since = e.ts;
      r.trigger = e.trigger;
      r.node = n;
      r.type = e.type;
      r.thread = e.thread;
      r.stack = e.stack;
      if (tree.size() < limits_.tree_resources) {
        tree_entry t;
        t.id = e.id;
        auto p = m.tree_by_id.find(e.trigger);
        t.parent = p != m.tree_by_id.end() ? p->second : -1;
        t.node = n;
        t.type = e.type;
        t.thread = e.thread;
        t.init_ns = e.ts - t0;
        r.tree = static_cast<std::int32_t>(tree.size());
        m.tree_by_id.emplace(e.id, r.tree);
        tree.push_back(t);
      } else {
        ++tree_omitted;
        auto p = m.tree_by_id.find(e.trigger);
        if (p != m.tree_by_id.end()) {
          ++tree[static_cast<std::size_t>(p->second)].omitted_children;
        }
      }
      m.live[e.id] = r;
      live_changed(n, +1);
      break;
    }
    case format::kind::before: {
      auto it = m.live.find(e.id);
      const bool known = it != m.live.end();
      if (known) {
        live_resource& r = it->second;
        if (r.open++ == 0) {
          r.wait_ns += e.ts - r.ready_since;
        }
      } else {
        ++orphan_events;
      }
      m.stacks[e.thread].push_back(frame{e.id, e.ts, 0, known});
      break;
    }
    case format::kind::after: {
      std::vector<frame>& stack = m.stacks[e.thread];
      auto match = std::find_if(stack.rbegin(), stack.rend(), [&](const frame& f) { return f.id == e.id; });
      if (match == stack.rend()) {
        ++unmatched_afters;
        break;
      }
      // Frames above the match lost their `after`: they end here too.
      while (!stack.empty()) {
        const frame f = stack.back();
        stack.pop_back();
        const std::uint64_t duration = e.ts - f.start;
        const std::uint64_t self = duration > f.child_ns ? duration - f.child_ns : 0;
        if (!stack.empty()) {
          stack.back().child_ns += duration;
        }
        if (f.known) {
          auto it = m.live.find(f.id);
          if (it != m.live.end()) {
            live_resource& r = it->second;
            ++r.callbacks;
            r.callback_ns += self;
            if (r.open > 0 && --r.open == 0) {
              r.ready_since = e.ts;
            }
            bubble& b = nodes[r.node];
            ++b.callbacks;
            b.callback_ns += self;
            b.max_callback_ns = std::max(b.max_callback_ns, duration);
            type_summary& ts = types[r.type];
            ++ts.callbacks;
            ts.callback_ns += self;
            ts.max_callback_ns = std::max(ts.max_callback_ns, duration);
            ++callbacks;
            callback_record c{f.id, r.node, r.type, e.thread, f.start - t0, duration, self};
            auto longer = [](const callback_record& x, const callback_record& y) {
              return x.duration_ns > y.duration_ns;
            };
            if (m.slowest_heap.size() < limits_.slowest) {
              m.slowest_heap.push_back(c);
              std::push_heap(m.slowest_heap.begin(), m.slowest_heap.end(), longer);
            } else if (duration > m.slowest_heap.front().duration_ns) {
              std::pop_heap(m.slowest_heap.begin(), m.slowest_heap.end(), longer);
              m.slowest_heap.back() = c;
              std::push_heap(m.slowest_heap.begin(), m.slowest_heap.end(), longer);
            }
          }
        }
        if (f.id == e.id) {
          break;
        }
      }
      break;
    }
    case format::kind::destroy: {
      auto it = m.live.find(e.id);
      if (it == m.live.end()) {
        ++orphan_events;
        break;
      }
      live_resource r = it->second;
      m.live.erase(it);
      if (r.open == 0) {
        r.wait_ns += e.ts - r.ready_since;
      }
      bubble& b = nodes[r.node];
      b.wait_ns += r.wait_ns;
      types[r.type].wait_ns += r.wait_ns;
      if (r.callbacks == 0) {
        ++b.never_run;
      }
      if (r.tree >= 0) {
        tree_entry& t = tree[static_cast<std::size_t>(r.tree)];
        t.end_ns = static_cast<std::int64_t>(e.ts - t0);
        t.callbacks = r.callbacks;
        t.callback_ns = r.callback_ns;
      }
      live_changed(r.node, -1);
      break;
    }
    case format::kind::promise_resolve: {
      const std::uint32_t node = m.ids.get(e.id);
      if (node != 0) {
        ++nodes[node - 1].resolves;
      } else {
        ++orphan_events;
      }
      break;
    }
    case format::kind::lost:
      --events;
      losses.push_back(loss_record{e.ts - t0, e.thread, e.id});
      break;
  }
}

void profile_model::on_end(const trace_end& trace_end) {
  impl& m = *impl_;
  end = trace_end;
  const std::uint64_t end_ts = std::max(end.present ? end.end_ns : 0, m.last_ts);
  duration_ns = end_ts > t0 ? end_ts - t0 : 0;

  // Callbacks still running: they end with the trace.
  for (std::vector<frame>& stack : m.stacks) {
    open_at_end += stack.size();
    for (const frame& f : stack) {
      auto it = m.live.find(f.id);
      if (it != m.live.end() && it->second.open > 0) {
        live_resource& r = it->second;
        --r.open;
        r.callback_ns += end_ts - f.start;
        nodes[r.node].callback_ns += end_ts - f.start;
      }
    }
    stack.clear();
  }

  // Everything still alive is pending at exit.
  pending_total = m.live.size();
  std::vector<pending_record> all;
  all.reserve(m.live.size());
  for (auto& [id, r] : m.live) {
    if (r.open == 0) {
      r.wait_ns += end_ts - r.ready_since;
    }
    bubble& b = nodes[r.node];
    b.wait_ns += r.wait_ns;
    ++b.pending_at_end;
    if (r.callbacks == 0) {
      ++b.never_run;
    }
    types[r.type].wait_ns += r.wait_ns;
    ++types[r.type].pending_at_end;
    if (r.tree >= 0) {
      tree_entry& t = tree[static_cast<std::size_t>(r.tree)];
      t.callbacks = r.callbacks;
      t.callback_ns = r.callback_ns;
    }
    all.push_back(pending_record{id, r.trigger, r.node, r.type, r.thread, r.stack, r.init_ts - t0,
                                 end_ts - r.init_ts, r.callbacks});
  }
  std::sort(all.begin(), all.end(), [](const pending_record& a, const pending_record& b) {
    return a.age_ns != b.age_ns ? a.age_ns > b.age_ns : a.id < b.id;
  });
  if (all.size() > limits_.pending) {
    all.resize(limits_.pending);
  }
  pending = std::move(all);

  slowest = m.slowest_heap;
  std::sort(slowest.begin(), slowest.end(), [](const callback_record& a, const callback_record& b) {
    return a.duration_ns != b.duration_ns ? a.duration_ns > b.duration_ns : a.id < b.id;
  });

  // The timeline, closed at the end of the trace.
  std::size_t last_bucket = 0;
  {
    std::size_t b = static_cast<std::size_t>(duration_ns / m.bucket_ns);
    while (b >= limits_.timeline_buckets) {
      m.bucket_ns *= 2;
      m.total.halve();
      for (series& s : m.by_node_series) {
        s.halve();
      }
      b = static_cast<std::size_t>(duration_ns / m.bucket_ns);
    }
    last_bucket = b;
  }
  m.total.finish(last_bucket);
  pending_timeline.bucket_ns = m.bucket_ns;
  pending_timeline.total = m.total.values;
  for (std::size_t i = 0; i < m.by_node_series.size(); ++i) {
    series& s = m.by_node_series[i];
    if (nodes[m.series_node[i]].resources == 0) {
      continue;
    }
    s.finish(last_bucket);
    pending_timeline.by_node.emplace(m.series_node[i], std::move(s.values));
  }
}

std::unique_ptr<profile_model> load_model(const std::string& path, const progress_fn& progress, model_limits limits) {
  auto model = std::make_unique<profile_model>(limits);
  model->file = read_trace(path, *model, progress);
  return model;
}

}  // namespace tether::profiler::analysis
