// tether-prof chrome: Chrome trace JSON in the shape of Node's own
// `--trace-event-categories node.async_hooks` output (what bubbleprof and
// chrome://tracing read):
//   init      {"ph":"b","cat":"node,node.async_hooks","name":TYPE,"id":"0x..",
//              "args":{"data":{"triggerAsyncId":T,"executionAsyncId":E}}}
//   before    {"ph":"b","name":"TYPE_CALLBACK","id":"0x..","args":{}}
//   after     {"ph":"e","name":"TYPE_CALLBACK",...}
//   destroy   {"ph":"e","name":TYPE,...}
// plus what Node has no event for: promise_resolve as an async instant
// ("n", TYPE_RESOLVE) and lost events as a thread instant ("i").
// Timestamps are microseconds since the recording started.

#include <cinttypes>
#include <cstdio>
#include <ostream>
#include <unordered_map>
#include <vector>

#include "profiler/analysis/json_text.hpp"
#include "profiler/analysis/outputs.hpp"

namespace tether::profiler::analysis {
namespace {


class chrome_json_writer final : public trace_consumer {
 public:
  explicit chrome_json_writer(std::ostream& out) : out_(out) {}

  void on_info(const trace_info& info) override {
    info_ = info;
    t0_ = info.start_ns;
    out_ << "{\"traceEvents\":[";
    std::string name = info.command.substr(0, info.command.find(' '));
    metadata(info.pid, "process_name", name.empty() ? "tether" : name);
  }

  void on_thread(const thread_info& t) override {
    if (tids_.size() <= t.index) {
      tids_.resize(t.index + 1, 0);
      stacks_.resize(t.index + 1);
    }
    tids_[t.index] = t.tid;
    metadata(t.tid, "thread_name", t.name.empty() ? "thread " + std::to_string(t.index) : t.name);
  }

  void on_type(std::uint32_t id, std::string_view name) override {
    if (types_.size() <= id) {
      types_.resize(id + 1);
    }
    types_[id] = std::string(name);
  }

  void on_event(const trace_event& e) override {
    if (e.thread >= tids_.size()) {
      tids_.resize(e.thread + 1, 0);
      stacks_.resize(e.thread + 1);
    }
    std::vector<std::uint64_t>& stack = stacks_[e.thread];
    switch (e.kind) {
      case format::kind::init: {
        const std::string& type = e.type < types_.size() ? types_[e.type] : unknown_;
        live_[e.id] = e.type;
        // executionAsyncId: the resource running on this thread, or at the
        // top level the thread's top-level id, which is the default trigger.
        const std::uint64_t execution =
            !stack.empty() ? stack.back() : (live_.count(e.trigger) != 0 ? 0 : e.trigger);
        std::string args = "{\"data\":{\"triggerAsyncId\":" + std::to_string(e.trigger) +
                           ",\"executionAsyncId\":" + std::to_string(execution) + "}}";
        event(e, "b", type, "", args);
        break;
      }
      case format::kind::before:
      case format::kind::after:
      case format::kind::destroy:
      case format::kind::promise_resolve: {
        auto it = live_.find(e.id);
        if (it == live_.end()) {
          return;  // init not in the trace: Node's shape needs its type
        }
        const std::string& type = it->second < types_.size() ? types_[it->second] : unknown_;
        if (e.kind == format::kind::before) {
          stack.push_back(e.id);
          event(e, "b", type, "_CALLBACK", "{}");
        } else if (e.kind == format::kind::after) {
          if (!stack.empty() && stack.back() == e.id) {
            stack.pop_back();
          } else {
            std::erase(stack, e.id);
          }
          event(e, "e", type, "_CALLBACK", "{}");
        } else if (e.kind == format::kind::destroy) {
          event(e, "e", type, "", "{}");
          live_.erase(it);
        } else {
          event(e, "n", type, "_RESOLVE", "{}");
        }
        break;
      }
      case format::kind::lost: {
        std::string line = prefix(e.thread, e.ts);
        line += "\"ph\":\"i\",\"s\":\"t\",\"cat\":\"tether\",\"name\":\"events lost\",\"dur\":0,\"tdur\":0,"
                "\"args\":{\"count\":" +
                std::to_string(e.id) + "}}";
        emit(line);
        break;
      }
    }
  }

  void on_end(const trace_end&) override {
    if (first_) {  // no info record was read
      out_ << "{\"traceEvents\":[";
    }
    out_ << "\n]}\n";
  }

 private:
  std::string prefix(std::uint32_t thread, std::uint64_t ts) const {
    char buf[128];
    const std::uint64_t rel = ts > t0_ ? ts - t0_ : 0;
    std::snprintf(buf, sizeof buf, "{\"pid\":%" PRIu64 ",\"tid\":%" PRIu64 ",\"ts\":%" PRIu64 ".%03u,\"tts\":0,",
                  info_.pid, thread < tids_.size() ? tids_[thread] : 0, rel / 1000,
                  static_cast<unsigned>(rel % 1000));
    return buf;
  }

  void event(const trace_event& e, const char* ph, std::string_view type, std::string_view suffix,
             std::string_view args) {
    std::string line = prefix(e.thread, e.ts);
    line += "\"ph\":\"";
    line += ph;
    line += "\",\"cat\":\"node,node.async_hooks\",\"name\":";
    std::string name(type);
    name += suffix;
    append_json_string(line, name);
    char id[40];
    std::snprintf(id, sizeof id, ",\"dur\":0,\"tdur\":0,\"id\":\"0x%" PRIx64 "\",\"args\":", e.id);
    line += id;
    line += args;
    line += "}";
    emit(line);
  }

  void metadata(std::uint64_t tid, std::string_view what, std::string_view name) {
    std::string line = "{\"pid\":" + std::to_string(info_.pid) + ",\"tid\":" + std::to_string(tid) +
                       ",\"ts\":0,\"tts\":0,\"ph\":\"M\",\"cat\":\"__metadata\",\"name\":";
    append_json_string(line, what);
    line += ",\"dur\":0,\"tdur\":0,\"args\":{\"name\":";
    append_json_string(line, name);
    line += "}}";
    emit(line);
  }

  void emit(const std::string& line) {
    out_ << (first_ ? "\n" : ",\n") << line;
    first_ = false;
  }

  std::ostream& out_;
  trace_info info_;
  std::uint64_t t0_ = 0;
  bool first_ = true;
  std::vector<std::uint64_t> tids_;
  std::vector<std::vector<std::uint64_t>> stacks_;
  std::vector<std::string> types_;
  std::unordered_map<std::uint64_t, std::uint32_t> live_;  // id -> type, init to destroy
  const std::string unknown_ = "UNKNOWN";
};

}  // namespace

std::unique_ptr<trace_consumer> make_chrome_json_writer(std::ostream& out) {
  return std::make_unique<chrome_json_writer>(out);
}

}  // namespace tether::profiler::analysis
