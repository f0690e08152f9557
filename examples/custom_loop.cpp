// custom_loop: a third-party event loop made async-hooks aware through
// <tether/integration.hpp> alone: a run queue, a timer heap and a 2-thread pool
// report "Task", "Timer" and "Work" resources, and three requests each carry an
// async_local_storage context along task -> timer -> pool -> task.
// Run: `make demo` or build/dev/examples/custom_loop [--trace]. Expect one line per
// step, then a summary ending in "OK" (exit 0); --trace adds every hook event.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>
#include <tether/debug.hpp>
#include <tether/integration.hpp>

namespace {

using clock_type = std::chrono::steady_clock;
using tether::async_id;

// Set once in main before any thread starts; read by every thread after.
clock_type::time_point program_start;
// The name printed for the current thread; the loop runs on the main thread.
thread_local std::string_view thread_name = "loop";
std::atomic<int> uncaught_exceptions{0};

// ===========================================================================
// Part 1: the event loop. It knows nothing about requests or stores. Each unit
// of work is a tether::resource, and the loop follows the integration contract:
// emit_init when the work is scheduled, a callback_scope around the callback,
// emit_destroy once it can run no more. Context propagation follows for free.
// ===========================================================================

// The id, trigger id and captured context frame live in the tether::resource
// base; a task adds only what to run.
struct task : tether::resource {
  explicit task(std::function<void()> f) : fn(std::move(f)) {}
  std::function<void()> fn;
};

struct timer : task {
  timer(std::function<void()> f, clock_type::time_point when, std::uint64_t order)
      : task(std::move(f)), due(when), seq(order) {}
  clock_type::time_point due;
  std::uint64_t seq;  // keeps timers due at the same instant in FIFO order
};

// Runs the one callback of `t`, then retires it. The scope makes `t` current
// (its id, its trigger, the stores captured at emit_init) and fires
// before/after around fn, restoring everything even if fn throws. destroy
// fires after the last after; the resource object outlives the scope.
void run_then_destroy(task& t) {
  try {
    tether::callback_scope scope(t);
    t.fn();
  } catch (const std::exception& e) {
    // A real loop would hand this to its uncaught-exception handler.
    std::fprintf(stderr, "custom_loop: uncaught exception in %.*s %llu: %s\n",
                 static_cast<int>(t.type().size()), t.type().data(),
                 static_cast<unsigned long long>(t.id()), e.what());
    uncaught_exceptions.fetch_add(1);
  }
  tether::emit_destroy(t);
}

class event_loop {
 public:
  explicit event_loop(unsigned pool_threads) {
    static constexpr std::string_view names[] = {"pool-1", "pool-2", "pool-3", "pool-4"};
    for (unsigned i = 0; i < pool_threads && i < std::size(names); ++i) {
      pool_.emplace_back([this, name = names[i]] { pool_main(name); });
    }
  }

  ~event_loop() {
    {
      const std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    pool_wake_.notify_all();
    for (std::thread& t : pool_) {
      t.join();
    }
  }

  event_loop(const event_loop&) = delete;
  event_loop& operator=(const event_loop&) = delete;

  // Any thread. A "Task" created here: its trigger is the current execution
  // id and it captures the current stores, whichever thread this is.
  void post(std::function<void()> fn) {
    auto t = std::make_unique<task>(std::move(fn));
    tether::emit_init(*t, "Task");
    {
      const std::lock_guard lock(mutex_);
      ready_.push_back(std::move(t));
    }
    loop_wake_.notify_one();
  }

  // Loop thread. A "Timer" that runs fn once, after `delay`.
  void set_timer(std::chrono::milliseconds delay, std::function<void()> fn) {
    timers_.push_back(
        std::make_unique<timer>(std::move(fn), clock_type::now() + delay, timer_seq_++));
    tether::emit_init(*timers_.back(), "Timer");
    std::push_heap(timers_.begin(), timers_.end(), fires_later);
  }

  // Loop thread. A "Work" that runs `job` on a pool thread, then posts `then`
  // back to the loop. The post happens inside the Work's callback scope, so
  // the completion Task is triggered by the Work and inherits its stores:
  // the context crosses to the pool thread and back.
  void queue_work(std::function<void()> job, std::function<void()> then) {
    auto w = std::make_unique<task>([this, job = std::move(job), then = std::move(then)]() mutable {
      job();
      post(std::move(then));
    });
    tether::emit_init(*w, "Work");
    {
      const std::lock_guard lock(mutex_);
      work_queue_.push_back(std::move(w));
      ++work_in_flight_;
    }
    pool_wake_.notify_one();
  }

  // Runs until no task, timer or pool work is left. The phases, in order:
  // due timers, then every task ready when the phase starts, then wait.
  void run() {
    do {
      run_due_timers();
      run_ready_tasks();
    } while (wait_for_more());
  }

 private:
  static bool fires_later(const std::unique_ptr<timer>& a, const std::unique_ptr<timer>& b) {
    return a->due != b->due ? a->due > b->due : a->seq > b->seq;
  }

  void run_due_timers() {
    const clock_type::time_point now = clock_type::now();
    while (!timers_.empty() && timers_.front()->due <= now) {
      std::pop_heap(timers_.begin(), timers_.end(), fires_later);
      std::unique_ptr<timer> t = std::move(timers_.back());
      timers_.pop_back();
      run_then_destroy(*t);
    }
  }

  // Tasks posted while this batch runs wait for the next round, so a task
  // that posts a task cannot starve the timers.
  void run_ready_tasks() {
    std::deque<std::unique_ptr<task>> batch;
    {
      const std::lock_guard lock(mutex_);
      batch.swap(ready_);
    }
    for (std::unique_ptr<task>& t : batch) {
      run_then_destroy(*t);
    }
  }

  // Blocks until a task is ready or the next timer is due; false when
  // nothing is left that could ever make more work.
  bool wait_for_more() {
    std::unique_lock lock(mutex_);
    const auto ready = [this] { return !ready_.empty(); };
    if (timers_.empty()) {
      loop_wake_.wait(lock, [&] { return ready() || work_in_flight_ == 0; });
      return ready();
    }
    loop_wake_.wait_until(lock, timers_.front()->due, ready);
    return true;
  }

  void pool_main(std::string_view name) {
    thread_name = name;
    for (;;) {
      std::unique_ptr<task> w;
      {
        std::unique_lock lock(mutex_);
        pool_wake_.wait(lock, [this] { return stopping_ || !work_queue_.empty(); });
        if (work_queue_.empty()) {
          return;
        }
        w = std::move(work_queue_.front());
        work_queue_.pop_front();
      }
      run_then_destroy(*w);  // a resource initialised on the loop thread, run here
      w.reset();
      {
        const std::lock_guard lock(mutex_);
        --work_in_flight_;  // after the completion was posted: the loop cannot miss it
      }
      loop_wake_.notify_one();
    }
  }

  std::mutex mutex_;
  std::condition_variable loop_wake_;
  std::condition_variable pool_wake_;
  std::deque<std::unique_ptr<task>> ready_;       // guarded by mutex_
  std::deque<std::unique_ptr<task>> work_queue_;  // guarded by mutex_
  std::size_t work_in_flight_ = 0;                // guarded by mutex_
  bool stopping_ = false;                         // guarded by mutex_
  std::vector<std::unique_ptr<timer>> timers_;    // loop thread only; a heap on `due`
  std::uint64_t timer_seq_ = 0;                   // loop thread only
  std::vector<std::thread> pool_;                 // last: threads start once the rest exists
};

// ===========================================================================
// Part 2: hooks. One always-on hook checks the event stream; --trace adds a
// second that prints it. Hooks are process-wide, so both see the pool
// threads' events too, and their callbacks run concurrently: hence the lock.
// ===========================================================================

class hook_checker {
 public:
  tether::hook_callbacks callbacks() {
    return {
        .init = [this](async_id id, std::string_view type, async_id,
                       tether::resource&) { on_init(id, type); },
        .before = [](async_id id) { scope_stack().push_back(id); },
        .after = [this](async_id id) { on_after(id); },
        .destroy = [this](async_id id) { on_destroy(id); },
        .promise_resolve = {},
    };
  }

  std::string type_of(async_id id) {
    const std::lock_guard lock(mutex_);
    const auto it = types_.find(id);
    return it != types_.end() ? it->second : "?";
  }

  // Read after every thread that could fire an event has been joined.
  const std::map<std::string, int>& created() const { return created_; }
  int inits() const { return inits_; }
  int destroys() const { return destroys_; }
  bool balanced() const { return problems_ == 0 && live_.empty() && inits_ == destroys_; }

 private:
  // before/after must nest on each thread; a stack per thread checks it.
  static std::vector<async_id>& scope_stack() {
    thread_local std::vector<async_id> stack;
    return stack;
  }

  void on_init(async_id id, std::string_view type) {
    const std::lock_guard lock(mutex_);
    ++inits_;
    ++created_[std::string(type)];
    types_.emplace(id, type);
    problems_ += live_.insert(id).second ? 0 : 1;
  }

  void on_after(async_id id) {
    std::vector<async_id>& stack = scope_stack();
    const bool nested = !stack.empty() && stack.back() == id;
    if (nested) {
      stack.pop_back();
    }
    const std::lock_guard lock(mutex_);
    problems_ += nested ? 0 : 1;
  }

  void on_destroy(async_id id) {
    const std::lock_guard lock(mutex_);
    ++destroys_;
    problems_ += live_.erase(id) == 1 ? 0 : 1;
  }

  std::mutex mutex_;
  std::map<std::string, int> created_;
  std::map<async_id, std::string> types_;
  std::set<async_id> live_;
  int inits_ = 0;
  int destroys_ = 0;
  int problems_ = 0;
};

// One stderr line per event with tether::debug, which creates no resource and
// so is safe inside a hook. Indented by the callback nesting on that thread.
void trace_event(std::string_view event, async_id id, std::string_view type, async_id trigger = 0) {
  thread_local int depth = 0;
  depth -= event == "after" ? 1 : 0;
  char head[64];  // "  trace <thread>  <indent><event>"
  const int n = std::snprintf(head, sizeof head, "  trace %-7.*s %*s%-7.*s",
                              static_cast<int>(thread_name.size()), thread_name.data(), 2 * depth,
                              "", static_cast<int>(event.size()), event.data());
  const std::string_view prefix(head, std::min(static_cast<std::size_t>(n), sizeof head - 1));
  if (event == "init") {
    tether::debug(prefix, type, id, "trigger", trigger);
  } else {
    tether::debug(prefix, type, id);
  }
  depth += event == "before" ? 1 : 0;
}

// Inside before/after the running resource is current, so its type is at hand.
void trace_current(std::string_view event, async_id id) {
  trace_event(event, id, tether::execution_async_resource().type());
}

tether::hook_callbacks trace_callbacks(hook_checker& checker) {
  return {
      .init = [](async_id id, std::string_view type, async_id trigger,
                 tether::resource&) { trace_event("init", id, type, trigger); },
      .before = [](async_id id) { trace_current("before", id); },
      .after = [](async_id id) { trace_current("after", id); },
      .destroy = [&checker](async_id id) { trace_event("destroy", id, checker.type_of(id)); },
      .promise_resolve = {},
  };
}

// ===========================================================================
// Part 3: the application. Each request's context is set once, with run();
// every later step reads it back with get_store(), on whichever thread it runs.
// ===========================================================================

struct request_ctx {
  int id;
  std::string user;
};

// One instance for the whole program, as in Node (`const als = new AsyncLocalStorage()`).
tether::async_local_storage<request_ctx> current_request;

struct step_record {
  int expected;  // the request this step belongs to: the check's answer key
  int seen;      // the request get_store() returned (0: none)
  async_id id;
  async_id trigger;
};

std::mutex timeline_mutex;
std::vector<step_record> timeline;  // guarded by timeline_mutex

// Logs one step of a request. The request comes from get_store() only;
// `expected` is never printed, it is what the summary checks against.
void step(int expected, int number, std::string_view what) {
  const request_ctx* req = current_request.get_store();
  const tether::resource& r = tether::execution_async_resource();
  const double ms =
      std::chrono::duration<double, std::milli>(clock_type::now() - program_start).count();
  const std::lock_guard lock(timeline_mutex);
  timeline.push_back({expected, req != nullptr ? req->id : 0, r.id(), r.trigger_id()});
  std::printf("%7.1f ms  %-6.*s  [req-%d] step %d/4  %-6s %-18.*s (%.*s %llu, trigger %llu)\n", ms,
              static_cast<int>(thread_name.size()), thread_name.data(),
              req != nullptr ? req->id : 0, number, req != nullptr ? req->user.c_str() : "?",
              static_cast<int>(what.size()), what.data(), static_cast<int>(r.type().size()),
              r.type().data(), static_cast<unsigned long long>(r.id()),
              static_cast<unsigned long long>(r.trigger_id()));
}

void start_request(event_loop& loop, int id, std::string user, std::chrono::milliseconds wait) {
  current_request.run(request_ctx{id, std::move(user)}, [&loop, id, wait] {
    loop.post([&loop, id, wait] {
      step(id, 1, "request accepted");
      loop.set_timer(wait, [&loop, id] {
        step(id, 2, "rate limit ok");
        loop.queue_work(
            [id] {
              step(id, 3, "querying database");
              std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the slow part
            },
            [id] { step(id, 4, "response sent"); });
      });
    });
  });
}

// ===========================================================================
// Part 4: the checks and the summary.
// ===========================================================================

int count_mixups() {
  int mixups = 0;
  for (const step_record& s : timeline) {
    mixups += s.seen == s.expected ? 0 : 1;
  }
  return mixups;
}

// Each step's trigger must be the previous step's resource: task 1 was posted
// from the top level (id 1), the timer from the task, and so on.
bool trigger_chains_intact(int requests) {
  for (int req = 1; req <= requests; ++req) {
    async_id previous = 1;
    int steps = 0;
    for (const step_record& s : timeline) {
      if (s.expected == req) {
        if (s.trigger != previous) {
          return false;
        }
        previous = s.id;
        ++steps;
      }
    }
    if (steps != 4) {
      return false;
    }
  }
  return true;
}

bool print_summary(const hook_checker& checker, int requests) {
  std::printf("\nsummary\n  resources created      ");
  const char* separator = "";
  for (const auto& [type, count] : checker.created()) {
    std::printf("%s%s %d", separator, type.c_str(), count);
    separator = ", ";
  }
  const bool balanced = checker.balanced();
  const int mixups = count_mixups();
  const bool chains = trigger_chains_intact(requests);
  const bool top_level_clean = current_request.get_store() == nullptr;
  const int uncaught = uncaught_exceptions.load();
  std::printf(
      "\n  init/destroy balanced  %s (%d init, %d destroy; before/after nested on every thread)\n",
      balanced ? "yes" : "NO", checker.inits(), checker.destroys());
  std::printf(
      "  context mix-ups        %d (of %zu steps, each reading its request from get_store())\n",
      mixups, timeline.size());
  std::printf("  trigger chains         %s (Task -> Timer -> Work -> Task per request)\n",
              chains ? "intact" : "BROKEN");
  std::printf("  store at top level     %s\n", top_level_clean ? "none, as expected" : "LEAKED");
  std::printf(
      "  ids                    step-4 Tasks were created on pool threads, so their ids\n"
      "                         come from those threads' own blocks of 256 (258 and up)\n");
  if (uncaught != 0) {
    std::printf("  uncaught exceptions    %d\n", uncaught);
  }
  const bool ok = balanced && mixups == 0 && chains && top_level_clean && uncaught == 0 &&
                  timeline.size() == static_cast<std::size_t>(4 * requests);
  std::printf("%s\n", ok ? "OK: every step ran in its own request's context, on every thread."
                         : "FAILED: see the lines above.");
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  bool trace = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--trace") {
      trace = true;
    } else {
      std::fprintf(stderr,
                   "usage: %s [--trace]\n  --trace  also print every hook event on stderr\n",
                   argv[0]);
      return arg == "--help" || arg == "-h" ? 0 : 2;
    }
  }
  // Line-buffered, so timeline lines and --trace lines interleave in order
  // even when both streams go to one pipe.
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  program_start = clock_type::now();

  hook_checker checker;
  tether::async_hook check_hook = tether::create_hook(checker.callbacks());
  check_hook.enable();
  tether::async_hook trace_hook = tether::create_hook(trace_callbacks(checker));
  if (trace) {
    trace_hook.enable();  // enabled second, so called after the checker for every event
  }

  constexpr int requests = 3;
  std::printf(
      "custom_loop: %d requests through a hand-written event loop; each runs\n"
      "Task -> Timer -> Work (pool thread) -> Task and reads its request from\n"
      "async_local_storage at every step.%s\n\n",
      requests, trace ? "" : " (--trace shows every hook event)");
  {
    event_loop loop(2);
    // Different timer delays, so the requests overtake each other.
    start_request(loop, 1, "alice", std::chrono::milliseconds(30));
    start_request(loop, 2, "bob", std::chrono::milliseconds(10));
    start_request(loop, 3, "carol", std::chrono::milliseconds(20));
    loop.run();
  }  // joins the pool: no hook event can arrive after this point

  check_hook.disable();
  trace_hook.disable();
  return print_summary(checker, requests) ? 0 : 1;
}
