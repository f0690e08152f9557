#pragma once
// hook_recorder: Node's test/async-hooks/init-hooks.js for tether.
//
// An async_hook that records every event it receives, in order, with what the
// execution context looked like inside the hook, so a test can assert exact
// sequences, ids and trigger ids:
//
//   tether::test::hook_recorder rec;
//   rec.enable();
//   tether::async_resource r("Job");
//   r.run_in_async_scope([] {});
//   r.emit_destroy();
//   EXPECT_THAT(rec.events(), ElementsAre("init Job 2 trigger 1", "before 2", "after 2",
//                                         "destroy 2"));
//   EXPECT_EQ(rec.invocations(r.id()), (invocation_counts{.init = 1, .before = 1, .after = 1,
//                                                         .destroy = 1}));
//   rec.sanity_check();   // Node's sanityCheck(): pairing, nesting, one init/destroy
//
// Thread-safe: hooks are process-wide and fire on whichever thread the event
// happens, so every record is taken under a mutex and carries its thread.
// Destroying the recorder disables its hook.

#include <cstddef>
#include <iosfwd>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <tether/async_hooks.hpp>

namespace tether::test {

enum class event_kind { init, before, after, destroy, promise_resolve };

/// "init", "before", "after", "destroy" or "promise_resolve".
std::string_view to_string(event_kind kind) noexcept;

/// One hook invocation as the recorder saw it.
struct event_record {
  event_kind kind = event_kind::init;
  async_id id = 0;
  // The resource's type: from `init`, or from the init recorded earlier for
  // this id; empty if the recorder never saw that id's init (enabled late).
  std::string type;
  // The resource's trigger id: from `init`, or from the recorded init; 0 if
  // never seen.
  async_id trigger = 0;
  // The resource passed to `init` (for identity checks only; it may be gone
  // by the time the test looks). Null for the other events.
  const resource* res = nullptr;
  // execution_async_id() / trigger_async_id() observed inside the hook.
  async_id execution_id = 0;
  async_id execution_trigger = 0;
  std::thread::id thread;
};

/// How many times each hook fired for one id (Node's checkInvocations).
struct invocation_counts {
  int init = 0;
  int before = 0;
  int after = 0;
  int destroy = 0;
  int promise_resolve = 0;

  friend bool operator==(const invocation_counts&, const invocation_counts&) = default;
};

/// "{init: 1, before: 2, after: 2, destroy: 1, promise_resolve: 0}" in gtest messages.
std::ostream& operator<<(std::ostream& os, const invocation_counts& c);

/// Everything recorded about one id (Node's activity object).
struct activity {
  async_id id = 0;
  std::string type;      // empty if init was not seen
  async_id trigger = 0;  // 0 if init was not seen
  const resource* res = nullptr;
  async_id init_execution_id = 0;  // execution_async_id() inside its init
  invocation_counts calls;
};

struct hook_recorder_options {
  // Record only resources of these types (empty: all). Events for ids whose
  // init was not seen are recorded only when no filter is set.
  std::vector<std::string> types{};
  // Extra callbacks, each called after the event has been recorded (outside
  // the recorder's lock, so they may read the recorder): Node's
  // initHooks({ oninit, onbefore, ... }). Called for every event, filtered or
  // not.
  hook_callbacks also{};
};

/// What sanity_check() tolerates.
struct sanity_options {
  // The hook was enabled after some resources were created, or inside a
  // callback: before/after/destroy for ids without a recorded init, and an
  // `after` whose `before` was missed, are fine (Node's allowNoInit).
  bool allow_no_init = false;
  // Everything has finished: every recorded init has its destroy and no
  // callback is still open (before without after).
  bool complete = false;
};

class hook_recorder {
 public:
  explicit hook_recorder(hook_recorder_options options = {});
  hook_recorder(const hook_recorder&) = delete;
  hook_recorder& operator=(const hook_recorder&) = delete;
  ~hook_recorder();

  hook_recorder& enable();
  hook_recorder& disable();
  bool enabled() const noexcept { return hook_.enabled(); }
  /// The underlying hook (for enable/disable order tests).
  async_hook& hook() noexcept { return hook_; }

  /// Every record, in the order the hooks fired.
  std::vector<event_record> records() const;
  /// The records as compact strings: "init Job 2 trigger 1", "before 2",
  /// "after 2", "destroy 2", "promise_resolve 2".
  std::vector<std::string> events() const;
  /// events() restricted to ids whose init had type `type`.
  std::vector<std::string> events_of_type(std::string_view type) const;
  /// One entry per id, in the order each id was first seen.
  std::vector<activity> activities() const;
  std::vector<activity> activities_of_type(std::string_view type) const;
  /// Counts for `id` (all zero if never seen).
  invocation_counts invocations(async_id id) const;
  /// Ids whose init was recorded, in init order.
  std::vector<async_id> ids() const;
  std::size_t size() const;
  /// Forgets everything recorded so far (the hook stays as it is).
  void clear();

  /// EXPECTs Node's invariants over everything recorded (init-hooks.js
  /// sanityCheck): at most one init and one destroy per id, init first,
  /// before/after pair and nest LIFO per thread, nothing after destroy (so
  /// destroy comes after the last after). Returns true if all held.
  bool sanity_check(sanity_options options = {}) const;

 private:
  void record_init(async_id id, std::string_view type, async_id trigger, resource& r);
  void record(event_kind kind, async_id id);
  bool wanted(std::string_view type) const;

  hook_recorder_options options_;
  mutable std::mutex mutex_;
  std::vector<event_record> records_;
  // Every init seen (filtered out or not): id -> type, trigger.
  struct known {
    std::string type;
    async_id trigger = 0;
    bool wanted = false;
  };
  std::unordered_map<async_id, known> known_;
  async_hook hook_;
};

/// The compact string of one record (see hook_recorder::events()).
std::string to_string(const event_record& r);

}  // namespace tether::test
