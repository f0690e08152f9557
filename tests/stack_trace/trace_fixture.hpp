#pragma once
// The fixture and helpers of the stack_trace tests.
//
// Every test runs with capture enabled (default options unless it changes
// them), a fresh event_loop, and checks at the end that the records the
// test's resources made are gone again (live_records back to where it was,
// except for traces the test still holds or attached to exceptions).
//
// Traces are checked by the names of the user functions in them, which the
// test files define as noinline functions (so each is a frame of its own)
// with names no tether or system frame has.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <tether/event_loop.hpp>
#include <tether/stack_trace.hpp>

#define TETHER_NOINLINE [[gnu::noinline]]

namespace tether::test {

/// The functions of `frames`, internal ones left out unless asked for.
inline std::vector<std::string> functions(const std::vector<stack_frame>& frames,
                                          bool with_internal = false) {
  std::vector<std::string> out;
  for (const stack_frame& f : frames) {
    if (with_internal || !f.internal) {
      out.push_back(f.function);
    }
  }
  return out;
}

/// True if some frame's function contains `name`.
inline bool mentions(const std::vector<stack_frame>& frames, std::string_view name) {
  for (const stack_frame& f : frames) {
    if (f.function.find(name) != std::string::npos) {
      return true;
    }
  }
  return false;
}

/// The first frame whose function contains `name`, if any.
inline const stack_frame* find_frame(const std::vector<stack_frame>& frames,
                                     std::string_view name) {
  for (const stack_frame& f : frames) {
    if (f.function.find(name) != std::string::npos) {
      return &f;
    }
  }
  return nullptr;
}

/// "Timeout 12" for each hop, "awaited by PROMISE 7" for awaiters.
inline std::vector<std::string> hop_labels(const async_trace& trace) {
  std::vector<std::string> out;
  for (const async_hop& h : trace.hops()) {
    out.push_back((h.what == async_hop::kind::awaited_by ? "awaited by " : "") + h.type + " " +
                  std::to_string(h.id));
  }
  return out;
}

inline std::string label(std::string_view type, async_id id) {
  return std::string(type) + " " + std::to_string(id);
}

class trace_fixture : public ::testing::Test {
 protected:
  void SetUp() override {
    set_stack_trace_options(options());
    records_before_ = get_stack_trace_stats().live_records;
    loop_.emplace();
  }

  void TearDown() override {
    loop_.reset();
    set_stack_trace_options({.enabled = false});
    if (check_records_) {
      EXPECT_EQ(get_stack_trace_stats().live_records, records_before_)
          << "records outlived their resources";
    }
  }

  /// The options SetUp applies; a test fixture may override them.
  virtual stack_trace_options options() const { return {}; }

  event_loop& loop() { return *loop_; }
  /// For tests that keep traces or exceptions beyond their end.
  void skip_record_check() { check_records_ = false; }

 private:
  std::optional<event_loop> loop_;
  std::uint64_t records_before_ = 0;
  bool check_records_ = true;
};

}  // namespace tether::test
