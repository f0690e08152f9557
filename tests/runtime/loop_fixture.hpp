#pragma once
// loop_fixture: the fixture of the runtime tests (libuv's MAKE_VALGRIND_HAPPY
// plus Node's init-hooks.js, in C++).
//
// Every test gets a fresh event_loop (the thread's current loop) and an
// enabled hook_recorder. The recorder's events are also appended to one
// combined log together with the test's own markers (mark("cb1")), so a test
// asserts the exact interleaving of hook events and callbacks:
//
//   const tether::timeout t = tether::set_timeout([this] { mark("cb"); });
//   loop().run();
//   EXPECT_THAT(log(), ElementsAre(init("Timeout", t.id(), top()), before(t.id()), "cb",
//                                  after(t.id()), destroy(t.id())));
//
// TearDown destroys the loop (unless the test already did, with
// destroy_loop()), asserts that its destructor printed nothing (it prints one
// line when libuv handles are left open, i.e. uv_loop_close() failed), and
// that every recorded init got exactly one destroy, after its last after,
// with before/after nested (hook_recorder::sanity_check, complete).
//
// Header-only: each *_test.cpp of tests/runtime includes it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/event_loop.hpp>

#include "support/hook_recorder.hpp"

/// First statement of a test that fails because of a known runtime bug:
/// skips it with "bug: <what>", unless TETHER_TEST_KNOWN_BUGS is set in the
/// environment (to check a fix: the test must then pass). Delete the line
/// once the bug is fixed.
#define TETHER_KNOWN_BUG(what)                            \
  if (std::getenv("TETHER_TEST_KNOWN_BUGS") == nullptr) { \
    GTEST_SKIP() << "bug: " << (what);                    \
  }                                                       \
  static_assert(true, "")

namespace tether::test {

class loop_fixture : public ::testing::Test {
 protected:
  loop_fixture() : rec_(recorder_options(*this)) {}

  void SetUp() override {
    top_ = execution_async_id();
    loop_.emplace();
    rec_.enable();
  }

  void TearDown() override {
    destroy_loop();
    rec_.disable();
    rec_.sanity_check({.allow_no_init = false, .complete = true});
  }

  /// The test's loop (the thread's current one).
  event_loop& loop() { return *loop_; }
  bool has_loop() const noexcept { return loop_.has_value(); }

  /// Destroys the loop now, asserting that its destructor printed nothing
  /// (no libuv handle left open). Idempotent.
  void destroy_loop() {
    if (!loop_) {
      return;
    }
    ::testing::internal::CaptureStderr();
    loop_.reset();
    const std::string err = ::testing::internal::GetCapturedStderr();
    EXPECT_EQ(err, "") << "the event_loop's destructor complained (libuv handles left open?)";
  }

  hook_recorder& rec() noexcept { return rec_; }

  /// The main thread's top-level execution id (the trigger of everything
  /// scheduled outside a callback).
  async_id top() const noexcept { return top_; }

  /// Appends a marker to the combined log.
  void mark(std::string what) {
    const std::lock_guard lock(log_mutex_);
    log_.push_back(std::move(what));
  }
  /// Hook events ("init Timeout 5 trigger 1", "before 5", "after 5",
  /// "destroy 5") and markers, in the order they happened.
  std::vector<std::string> log() const {
    const std::lock_guard lock(log_mutex_);
    return log_;
  }
  /// Only the markers of log() (entries without a space: "t1", "cb").
  std::vector<std::string> markers() const {
    std::vector<std::string> out;
    for (std::string& s : log()) {
      if (s.find(' ') == std::string::npos) {
        out.push_back(std::move(s));
      }
    }
    return out;
  }
  void clear_log() {
    const std::lock_guard lock(log_mutex_);
    log_.clear();
  }

  /// The id of the most recent init of `type` recorded so far (0: none).
  async_id last_id(std::string_view type) const {
    async_id id = 0;
    for (const event_record& r : rec_.records()) {
      if (r.kind == event_kind::init && r.type == type) {
        id = r.id;
      }
    }
    return id;
  }

  static std::string init(std::string_view type, async_id id, async_id trigger) {
    return "init " + std::string(type) + ' ' + std::to_string(id) + " trigger " +
           std::to_string(trigger);
  }
  static std::string before(async_id id) { return "before " + std::to_string(id); }
  static std::string after(async_id id) { return "after " + std::to_string(id); }
  static std::string destroy(async_id id) { return "destroy " + std::to_string(id); }

 private:
  static hook_recorder_options recorder_options(loop_fixture& self) {
    hook_recorder_options o;
    o.also.init = [&self](async_id id, std::string_view type, async_id trigger, resource&) {
      self.mark(init(type, id, trigger));
    };
    o.also.before = [&self](async_id id) { self.mark(before(id)); };
    o.also.after = [&self](async_id id) { self.mark(after(id)); };
    o.also.destroy = [&self](async_id id) { self.mark(destroy(id)); };
    o.also.promise_resolve = [&self](async_id id) {
      self.mark("promise_resolve " + std::to_string(id));
    };
    return o;
  }

  mutable std::mutex log_mutex_;
  std::vector<std::string> log_;
  async_id top_ = 0;
  // Declared before the loop: the loop's destructor still reports destroys.
  hook_recorder rec_;
  std::optional<event_loop> loop_;
};

/// A lean hook for the stress tests: counts events and checks, per id, that
/// every destroy matches one earlier init (no per-event record is kept; ids
/// are tracked in a flat table, since this thread's ids only increase).
/// Single-threaded: resources created or destroyed on another thread while it
/// is enabled are a data race and count as problems.
class balance_counter {
 public:
  balance_counter() {
    hook_callbacks cb;
    cb.init = [this](async_id id, std::string_view, async_id, resource&) {
      ++inits;
      if (base_ == 0) {
        base_ = id;
      }
      if (id < base_) {
        ++problems;
        return;
      }
      const auto i = static_cast<std::size_t>(id - base_);
      if (i >= state_.size()) {
        state_.resize(std::max(i + 1, 2 * state_.size()), unseen);
      }
      if (state_[i] != unseen) {
        ++problems;  // a second init
      }
      state_[i] = live_state;
      ++live_;
    };
    cb.before = [this](async_id) { ++befores; };
    cb.after = [this](async_id) { ++afters; };
    cb.destroy = [this](async_id id) {
      ++destroys;
      const auto i = static_cast<std::size_t>(id - base_);
      if (base_ == 0 || id < base_ || i >= state_.size() || state_[i] != live_state) {
        ++problems;  // no init seen, or a second destroy
        return;
      }
      state_[i] = destroyed_state;
      --live_;
    };
    hook_ = create_hook(std::move(cb));
    hook_.enable();
  }
  balance_counter(const balance_counter&) = delete;
  balance_counter& operator=(const balance_counter&) = delete;
  ~balance_counter() { hook_.disable(); }

  /// Ids initialised and not yet destroyed.
  std::size_t live() const noexcept { return live_; }

  std::size_t inits = 0;
  std::size_t befores = 0;
  std::size_t afters = 0;
  std::size_t destroys = 0;
  std::size_t problems = 0;  // a second init or destroy, or a destroy without init

 private:
  static constexpr unsigned char unseen = 0;
  static constexpr unsigned char live_state = 1;
  static constexpr unsigned char destroyed_state = 2;
  async_id base_ = 0;
  std::vector<unsigned char> state_;
  std::size_t live_ = 0;
  async_hook hook_;
};

}  // namespace tether::test
