#include "support/hook_recorder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <utility>

namespace tether::test {

std::string_view to_string(event_kind kind) noexcept {
  switch (kind) {
    case event_kind::init:
      return "init";
    case event_kind::before:
      return "before";
    case event_kind::after:
      return "after";
    case event_kind::destroy:
      return "destroy";
    case event_kind::promise_resolve:
      return "promise_resolve";
  }
  return "?";
}

std::string to_string(const event_record& r) {
  std::string s(to_string(r.kind));
  if (r.kind == event_kind::init) {
    s += ' ';
    s += r.type;
  }
  s += ' ';
  s += std::to_string(r.id);
  if (r.kind == event_kind::init) {
    s += " trigger ";
    s += std::to_string(r.trigger);
  }
  return s;
}

std::ostream& operator<<(std::ostream& os, const invocation_counts& c) {
  return os << "{init: " << c.init << ", before: " << c.before << ", after: " << c.after
            << ", destroy: " << c.destroy << ", promise_resolve: " << c.promise_resolve << "}";
}

namespace {

void count(invocation_counts& c, event_kind kind) {
  switch (kind) {
    case event_kind::init:
      ++c.init;
      break;
    case event_kind::before:
      ++c.before;
      break;
    case event_kind::after:
      ++c.after;
      break;
    case event_kind::destroy:
      ++c.destroy;
      break;
    case event_kind::promise_resolve:
      ++c.promise_resolve;
      break;
  }
}

}  // namespace

hook_recorder::hook_recorder(hook_recorder_options options) : options_(std::move(options)) {
  // The recorder's own callbacks record first, then call the test's extra
  // ones (outside the lock, so those may read the recorder or create
  // resources). Captures `this`: the recorder is neither copyable nor movable.
  hook_callbacks cb;
  cb.init = [this](async_id id, std::string_view type, async_id trigger, resource& r) {
    record_init(id, type, trigger, r);
    if (options_.also.init) {
      options_.also.init(id, type, trigger, r);
    }
  };
  cb.before = [this](async_id id) {
    record(event_kind::before, id);
    if (options_.also.before) {
      options_.also.before(id);
    }
  };
  cb.after = [this](async_id id) {
    record(event_kind::after, id);
    if (options_.also.after) {
      options_.also.after(id);
    }
  };
  cb.destroy = [this](async_id id) {
    record(event_kind::destroy, id);
    if (options_.also.destroy) {
      options_.also.destroy(id);
    }
  };
  cb.promise_resolve = [this](async_id id) {
    record(event_kind::promise_resolve, id);
    if (options_.also.promise_resolve) {
      options_.also.promise_resolve(id);
    }
  };
  hook_ = create_hook(std::move(cb));
}

hook_recorder::~hook_recorder() { hook_.disable(); }

hook_recorder& hook_recorder::enable() {
  hook_.enable();
  return *this;
}

hook_recorder& hook_recorder::disable() {
  hook_.disable();
  return *this;
}

bool hook_recorder::wanted(std::string_view type) const {
  return options_.types.empty() ||
         std::find(options_.types.begin(), options_.types.end(), type) != options_.types.end();
}

void hook_recorder::record_init(async_id id, std::string_view type, async_id trigger, resource& r) {
  event_record e;
  e.kind = event_kind::init;
  e.id = id;
  e.type = std::string(type);
  e.trigger = trigger;
  e.res = &r;
  e.execution_id = execution_async_id();
  e.execution_trigger = trigger_async_id();
  e.thread = std::this_thread::get_id();
  const std::lock_guard lock(mutex_);
  const bool w = wanted(type);
  // A second init for the same id is a bug the sanity check must see, so it
  // is recorded too (the later type wins for filtering).
  known_[id] = known{e.type, trigger, w};
  if (w) {
    records_.push_back(std::move(e));
  }
}

void hook_recorder::record(event_kind kind, async_id id) {
  event_record e;
  e.kind = kind;
  e.id = id;
  e.execution_id = execution_async_id();
  e.execution_trigger = trigger_async_id();
  e.thread = std::this_thread::get_id();
  const std::lock_guard lock(mutex_);
  const auto it = known_.find(id);
  if (it == known_.end()) {
    if (!options_.types.empty()) {
      return;  // unknown type: cannot pass a filter
    }
  } else {
    if (!it->second.wanted) {
      return;
    }
    e.type = it->second.type;
    e.trigger = it->second.trigger;
  }
  records_.push_back(std::move(e));
}

std::vector<event_record> hook_recorder::records() const {
  const std::lock_guard lock(mutex_);
  return records_;
}

std::vector<std::string> hook_recorder::events() const {
  std::vector<std::string> out;
  for (const event_record& r : records()) {
    out.push_back(to_string(r));
  }
  return out;
}

std::vector<std::string> hook_recorder::events_of_type(std::string_view type) const {
  std::vector<std::string> out;
  for (const event_record& r : records()) {
    if (r.type == type) {
      out.push_back(to_string(r));
    }
  }
  return out;
}

std::vector<activity> hook_recorder::activities() const {
  std::vector<activity> out;
  std::unordered_map<async_id, std::size_t> index;
  for (const event_record& r : records()) {
    auto [it, inserted] = index.try_emplace(r.id, out.size());
    if (inserted) {
      activity a;
      a.id = r.id;
      a.type = r.type;
      a.trigger = r.trigger;
      out.push_back(std::move(a));
    }
    activity& a = out[it->second];
    if (r.kind == event_kind::init) {
      a.res = r.res;
      a.init_execution_id = r.execution_id;
    }
    count(a.calls, r.kind);
  }
  return out;
}

std::vector<activity> hook_recorder::activities_of_type(std::string_view type) const {
  std::vector<activity> out;
  for (activity& a : activities()) {
    if (a.type == type) {
      out.push_back(std::move(a));
    }
  }
  return out;
}

invocation_counts hook_recorder::invocations(async_id id) const {
  invocation_counts c;
  for (const event_record& r : records()) {
    if (r.id == id) {
      count(c, r.kind);
    }
  }
  return c;
}

std::vector<async_id> hook_recorder::ids() const {
  std::vector<async_id> out;
  for (const event_record& r : records()) {
    if (r.kind == event_kind::init) {
      out.push_back(r.id);
    }
  }
  return out;
}

std::size_t hook_recorder::size() const {
  const std::lock_guard lock(mutex_);
  return records_.size();
}

void hook_recorder::clear() {
  const std::lock_guard lock(mutex_);
  records_.clear();
  known_.clear();
}

bool hook_recorder::sanity_check(sanity_options options) const {
  const std::vector<event_record> recs = records();
  std::vector<std::string> problems;

  struct state {
    bool init = false;
    bool destroyed = false;
    bool seen = false;  // any event at all
    bool reported_no_init = false;
  };
  std::unordered_map<async_id, state> ids;
  std::vector<async_id> init_order;
  // Open callbacks per thread, innermost last.
  std::vector<std::pair<std::thread::id, std::vector<async_id>>> stacks;
  const auto stack_of = [&stacks](std::thread::id t) -> std::vector<async_id>& {
    for (auto& [thread, stack] : stacks) {
      if (thread == t) {
        return stack;
      }
    }
    return stacks.emplace_back(t, std::vector<async_id>{}).second;
  };

  for (std::size_t i = 0; i < recs.size(); ++i) {
    const event_record& e = recs[i];
    state& s = ids[e.id];
    const std::string where = "event #" + std::to_string(i) + " \"" + to_string(e) + "\": ";
    if (s.destroyed) {
      problems.push_back(where + (e.kind == event_kind::destroy ? "second destroy for this id"
                                                                : "event after destroy"));
    }
    if (e.kind != event_kind::init && !s.init && !options.allow_no_init && !s.reported_no_init) {
      problems.push_back(where + "no init recorded for this id before it");
      s.reported_no_init = true;  // once per id is enough
    }
    switch (e.kind) {
      case event_kind::init:
        if (s.init) {
          problems.push_back(where + "second init for this id");
        } else if (s.seen) {
          problems.push_back(where + "init after other events for this id");
        }
        s.init = true;
        init_order.push_back(e.id);
        break;
      case event_kind::before:
        stack_of(e.thread).push_back(e.id);
        break;
      case event_kind::after: {
        std::vector<async_id>& stack = stack_of(e.thread);
        if (!stack.empty() && stack.back() == e.id) {
          stack.pop_back();
        } else if (options.allow_no_init && stack.empty()) {
          // Enabled inside this resource's callback: its before was missed.
        } else if (stack.empty()) {
          problems.push_back(where + "after without a matching before on this thread");
        } else {
          problems.push_back(where + "after does not match the innermost open before (" +
                             std::to_string(stack.back()) + "): before/after must nest LIFO");
          // Resynchronise on the id if it is open further down.
          const auto it = std::find(stack.rbegin(), stack.rend(), e.id);
          if (it != stack.rend()) {
            stack.erase(std::next(it).base(), stack.end());
          }
        }
        break;
      }
      case event_kind::destroy:
        s.destroyed = true;
        break;
      case event_kind::promise_resolve:
        break;
    }
    s.seen = true;
  }

  if (options.complete) {
    for (const async_id id : init_order) {
      if (!ids[id].destroyed) {
        problems.push_back("id " + std::to_string(id) + " (" + "init recorded) has no destroy");
      }
    }
    for (const auto& [thread, stack] : stacks) {
      for (const async_id id : stack) {
        problems.push_back("id " + std::to_string(id) + ": before without after");
      }
    }
  }

  constexpr std::size_t max_reported = 20;
  for (std::size_t i = 0; i < problems.size() && i < max_reported; ++i) {
    ADD_FAILURE() << "hook_recorder::sanity_check: " << problems[i];
  }
  if (problems.size() > max_reported) {
    ADD_FAILURE() << "hook_recorder::sanity_check: " << problems.size() - max_reported
                  << " more problems";
  }
  return problems.empty();
}

}  // namespace tether::test
