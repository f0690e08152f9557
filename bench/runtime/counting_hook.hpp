#pragma once
// The counting hook of the runtime ratio table: init, before, after, destroy
// and promise_resolve each increment a counter (bench/node/runtime_common.js
// is the same hook in Node). Inert when constructed disabled, so one
// benchmark body serves both the no-hook and the hook row.

#include <benchmark/benchmark.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include <tether/async_hooks.hpp>

namespace tether_bench {

class counting_hook {
 public:
  enum event { init, before, after, destroy, promise_resolve, event_count };

  explicit counting_hook(bool enabled) {
    if (!enabled) {
      return;
    }
    hook_ = tether::create_hook(tether::hook_callbacks{
        .init = [this](tether::async_id, std::string_view, tether::async_id,
                       tether::resource&) { ++counts_[init]; },
        .before = [this](tether::async_id) { ++counts_[before]; },
        .after = [this](tether::async_id) { ++counts_[after]; },
        .destroy = [this](tether::async_id) { ++counts_[destroy]; },
        .promise_resolve = [this](tether::async_id) { ++counts_[promise_resolve]; },
    });
    hook_.enable();
    enabled_ = true;
  }
  counting_hook(const counting_hook&) = delete;
  counting_hook& operator=(const counting_hook&) = delete;

  /// With the hook enabled, each of `expected` must have fired at least once
  /// per operation; otherwise the run measured something else and says so.
  void check(benchmark::State& state, std::initializer_list<event> expected) const {
    if (!enabled_) {
      return;
    }
    static constexpr const char* names[] = {"init", "before", "after", "destroy",
                                            "promise_resolve"};
    const auto ops = static_cast<std::uint64_t>(state.iterations());
    for (const event e : expected) {
      if (counts_[e] < ops) {
        state.SkipWithError(
            (std::string("the counting hook missed ") + names[e] + " events").c_str());
        return;
      }
    }
  }

 private:
  std::uint64_t counts_[event_count] = {};
  tether::async_hook hook_;
  bool enabled_ = false;
};

}  // namespace tether_bench
