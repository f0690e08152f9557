// tether-prof report: one HTML file, no network. The page (report.html),
// its script (report.js) and style (report.css) are real files under
// src/profiler/report/, embedded at build time (embed_assets.cmake); the
// data is one JSON object in a <script type="application/json"> element.

#include <cinttypes>
#include <cstdio>
#include <ostream>
#include <stdexcept>
#include <string>

#include "profiler/analysis/json_text.hpp"
#include "profiler/analysis/outputs.hpp"

namespace tether::profiler::analysis {
namespace assets {
extern const std::string_view report_html;
extern const std::string_view report_css;
extern const std::string_view report_js;
}  // namespace assets

namespace {


void num(std::string& out, std::uint64_t v) { out += std::to_string(v); }
void num(std::string& out, std::int64_t v) { out += std::to_string(v); }

template <class... T>
void row(std::string& out, bool& first, T... values) {
  out += first ? "[" : ",[";
  first = false;
  bool inner = true;
  ((out += inner ? "" : ",", inner = false, num(out, values)), ...);
  out += "]";
}

const char* reason_text(format::end_reason r) {
  switch (r) {
    case format::end_reason::stopped:
      return "stopped";
    case format::end_reason::exited:
      return "exited";
    case format::end_reason::terminated:
      return "terminated";
    case format::end_reason::signal:
      return "signal";
  }
  return "unknown";
}

using u64 = std::uint64_t;
using i64 = std::int64_t;

}  // namespace

std::string report_json(const profile_model& m) {
  std::string j;
  j.reserve(1 << 20);
  j += "{\"meta\":{\"command\":";
  append_json_string(j, m.info.command);
  j += ",\"pid\":";
  num(j, m.info.pid);
  j += ",\"start_unix_ms\":";
  num(j, m.info.start_unix_ns / 1'000'000);
  j += ",\"clock\":";
  append_json_string(j, m.info.clock);
  j += ",\"duration_ns\":";
  num(j, m.duration_ns);
  j += ",\"events\":";
  num(j, m.events);
  j += ",\"resources\":";
  num(j, m.resources);
  j += ",\"callbacks\":";
  num(j, m.callbacks);
  j += ",\"dropped\":";
  num(j, m.end.dropped);
  j += ",\"end_present\":";
  j += m.end.present ? "true" : "false";
  j += ",\"end_reason\":";
  append_json_string(j, m.end.present ? reason_text(m.end.reason) : "cut short");
  j += ",\"end_message\":";
  append_json_string(j, m.end.message);
  j += ",\"truncated\":";
  j += m.file.truncated ? "true" : "false";
  j += ",\"trace_bytes\":";
  num(j, m.file.bytes);
  j += ",\"late_events\":";
  num(j, m.file.late_events);
  j += ",\"orphan_events\":";
  num(j, m.orphan_events);
  j += ",\"unmatched_afters\":";
  num(j, m.unmatched_afters);
  j += ",\"open_at_end\":";
  num(j, m.open_at_end);
  j += ",\"tree_omitted\":";
  num(j, m.tree_omitted);
  j += ",\"pending_total\":";
  num(j, m.pending_total);
  j += ",\"losses\":[";
  bool first = true;
  for (std::size_t i = 0; i < m.losses.size() && i < 1000; ++i) {
    row(j, first, m.losses[i].at_ns, u64{m.losses[i].thread}, m.losses[i].count);
  }
  j += "]},\"types\":[";
  for (std::size_t t = 0; t < m.type_names.size(); ++t) {
    if (t != 0) {
      j += ",";
    }
    append_json_string(j, m.type_names[t]);
  }
  j += "],\"threads\":[";
  for (std::size_t t = 0; t < m.threads.size(); ++t) {
    j += t != 0 ? ",{" : "{";
    j += "\"tid\":";
    num(j, m.threads[t].tid);
    j += ",\"name\":";
    append_json_string(j, m.threads[t].name);
    j += "}";
  }
  // nodes: [parent, type, depth, resources, callbacks, callback_ns,
  //         max_callback_ns, wait_ns, never_run, pending_at_end, resolves,
  //         thread, root, folded]
  j += "],\"nodes\":[";
  first = true;
  for (const bubble& b : m.nodes) {
    row(j, first, i64{b.parent}, u64{b.type}, u64{b.depth}, b.resources, b.callbacks, b.callback_ns, b.max_callback_ns,
        b.wait_ns, b.never_run, b.pending_at_end, b.resolves, u64{b.thread}, u64{b.root ? 1u : 0u},
        u64{b.children_folded});
  }
  j += "],\"timeline\":{\"bucket_ns\":";
  num(j, m.pending_timeline.bucket_ns);
  j += ",\"total\":[";
  for (std::size_t i = 0; i < m.pending_timeline.total.size(); ++i) {
    j += i != 0 ? "," : "";
    num(j, u64{m.pending_timeline.total[i]});
  }
  j += "],\"nodes\":{";
  first = true;
  for (const auto& [node, values] : m.pending_timeline.by_node) {
    j += first ? "\"" : ",\"";
    first = false;
    num(j, u64{node});
    j += "\":[";
    for (std::size_t i = 0; i < values.size(); ++i) {
      j += i != 0 ? "," : "";
      num(j, u64{values[i]});
    }
    j += "]";
  }
  // tree: [id, parent, node, type, thread, init_ns, end_ns, callbacks,
  //        callback_ns, omitted_children]
  j += "}},\"tree\":[";
  first = true;
  for (const tree_entry& t : m.tree) {
    row(j, first, t.id, i64{t.parent}, u64{t.node}, u64{t.type}, u64{t.thread}, t.init_ns, t.end_ns, u64{t.callbacks},
        t.callback_ns, u64{t.omitted_children});
  }
  // slowest: [id, node, type, thread, start_ns, duration_ns, self_ns]
  j += "],\"slowest\":[";
  first = true;
  for (const callback_record& c : m.slowest) {
    row(j, first, c.id, u64{c.node}, u64{c.type}, u64{c.thread}, c.start_ns, c.duration_ns, c.self_ns);
  }
  // pending: [id, trigger, node, type, thread, stack, init_ns, age_ns, callbacks]
  j += "],\"pending\":[";
  first = true;
  for (const pending_record& p : m.pending) {
    row(j, first, p.id, p.trigger, u64{p.node}, u64{p.type}, u64{p.thread}, u64{p.stack}, p.init_ns, p.age_ns,
        u64{p.callbacks});
  }
  j += "]}";
  return j;
}

void write_html_report(const profile_model& m, std::ostream& out) {
  const std::string_view page = assets::report_html;
  // The page marks where each part goes; anything else in it is copied.
  struct slot {
    std::string_view marker;
    std::string_view content;
  };
  const std::string data = report_json(m);
  // In the order they appear in report.html.
  const slot slots[] = {
      {"/*@TETHER_REPORT_CSS@*/", assets::report_css},
      {"@TETHER_REPORT_DATA@", data},
      {"/*@TETHER_REPORT_JS@*/", assets::report_js},
  };
  std::size_t pos = 0;
  for (const slot& s : slots) {
    const std::size_t at = page.find(s.marker, pos);
    if (at == std::string_view::npos) {
      throw std::logic_error("report.html lacks the marker " + std::string(s.marker));
    }
    out << page.substr(pos, at - pos) << s.content;
    pos = at + s.marker.size();
  }
  out << page.substr(pos);
}

}  // namespace tether::profiler::analysis
