#pragma once
// Hook events with symbolic ids, for exact-sequence tests of the Asio
// adapter: Asio assigns ids, so tests name them by order of appearance.
//
//   asio_events ev(rec, {.top = tether::execution_async_id()});
//   EXPECT_THAT(ev.list(), ElementsAre("init asio.post A trigger top", "before A",
//                                      "after A", "destroy A"));
//
// Ids become A, B, C... in the order they first appear in the records
// (any event); the main thread's top-level id reads "top", 0 reads "0".

#include <map>
#include <string>
#include <vector>

#include <tether/async_hooks.hpp>

#include "support/hook_recorder.hpp"

namespace tether::test {

struct asio_events_options {
  async_id top = 0;
  // Only resources whose type starts with this (default: Asio's).
  std::string type_prefix = "asio.";
};

class asio_events {
 public:
  asio_events(const hook_recorder& rec, asio_events_options options)
      : rec_(rec), options_(std::move(options)) {}

  /// "init <type> <X> trigger <Y>", "before <X>", "after <X>", "destroy <X>".
  std::vector<std::string> list() {
    std::vector<std::string> out;
    for (const event_record& r : rec_.records()) {
      if (r.type.rfind(options_.type_prefix, 0) != 0) {
        continue;
      }
      std::string line{to_string(r.kind)};
      if (r.kind == event_kind::init) {
        line += " " + r.type + " " + name(r.id) + " trigger " + name(r.trigger);
      } else {
        line += " " + name(r.id);
      }
      out.push_back(std::move(line));
    }
    return out;
  }

  /// The symbolic name list() gives `id` (assigning the next letter if new).
  std::string name(async_id id) {
    if (id == 0) {
      return "0";
    }
    if (id == options_.top) {
      return "top";
    }
    auto [it, fresh] = names_.try_emplace(id, std::string());
    if (fresh) {
      const std::size_t n = names_.size() - 1;
      it->second = n < 26 ? std::string(1, static_cast<char>('A' + n)) : "R" + std::to_string(n);
    }
    return it->second;
  }

 private:
  const hook_recorder& rec_;
  asio_events_options options_;
  std::map<async_id, std::string> names_;
};

}  // namespace tether::test
