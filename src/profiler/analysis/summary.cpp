// tether-prof summary: the text table.

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <ostream>
#include <vector>

#include "profiler/analysis/outputs.hpp"

namespace tether::profiler::analysis {

std::string format_duration(std::uint64_t ns) {
  char buf[32];
  const auto v = static_cast<double>(ns);
  if (ns < 1000) {
    std::snprintf(buf, sizeof buf, "%" PRIu64 " ns", ns);
  } else if (ns < 1'000'000) {
    std::snprintf(buf, sizeof buf, "%.1f us", v / 1e3);
  } else if (ns < 1'000'000'000) {
    std::snprintf(buf, sizeof buf, "%.1f ms", v / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%.2f s", v / 1e9);
  }
  return buf;
}

namespace {

std::string mean(std::uint64_t total, std::uint64_t count) {
  return count == 0 ? std::string("-") : format_duration(total / count);
}

}  // namespace

void write_summary(const profile_model& m, std::ostream& out) {
  char line[512];
  out << "tether-prof summary: " << (m.info.command.empty() ? "(unknown program)" : m.info.command) << " (pid "
      << m.info.pid << ")\n";
  std::snprintf(line, sizeof line, "  %s recorded, %" PRIu64 " events, %" PRIu64 " resources, %" PRIu64
                " callbacks on %zu thread(s)\n",
                format_duration(m.duration_ns).c_str(), m.events, m.resources, m.callbacks, m.threads.size());
  out << line;
  if (m.end.dropped != 0) {
    std::snprintf(line, sizeof line,
                  "  LOST: %" PRIu64 " events dropped (the writer fell behind; %zu gap(s) marked in the trace); "
                  "counts below are lower bounds\n",
                  m.end.dropped, m.losses.size());
    out << line;
  } else {
    out << "  no events lost\n";
  }
  if (!m.end.present) {
    out << "  the trace ends without its end record (the program was killed): the last events may be missing\n";
  } else if (!m.end.message.empty()) {
    out << "  ended: " << m.end.message << "\n";
  }
  if (m.orphan_events != 0) {
    out << "  " << m.orphan_events << " events of resources whose init is not in the trace (ignored)\n";
  }
  if (m.resources == 0) {
    out << "\n  Nothing was recorded: the program created no async resource while the profiler ran.\n";
    return;
  }

  std::vector<std::uint32_t> order;
  for (std::uint32_t t = 0; t < m.types.size(); ++t) {
    if (m.types[t].resources != 0) {
      order.push_back(t);
    }
  }
  std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
    const auto& x = m.types[a];
    const auto& y = m.types[b];
    return x.callback_ns != y.callback_ns ? x.callback_ns > y.callback_ns : x.resources > y.resources;
  });

  std::snprintf(line, sizeof line, "\n  %-22s %10s %10s %12s %10s %10s %12s %10s %8s\n", "type", "count", "callbacks",
                "in cb total", "mean", "max", "waiting", "mean", "pending");
  out << line;
  for (const std::uint32_t t : order) {
    const type_summary& s = m.types[t];
    std::snprintf(line, sizeof line, "  %-22s %10" PRIu64 " %10" PRIu64 " %12s %10s %10s %12s %10s %8" PRIu64 "\n",
                  m.type_name(t).c_str(), s.resources, s.callbacks, format_duration(s.callback_ns).c_str(),
                  mean(s.callback_ns, s.callbacks).c_str(),
                  s.callbacks == 0 ? "-" : format_duration(s.max_callback_ns).c_str(),
                  format_duration(s.wait_ns).c_str(), mean(s.wait_ns, s.resources).c_str(), s.pending_at_end);
    out << line;
  }
  out << "\n  in cb: self time inside the resource's callbacks; waiting: alive but not running (per resource, "
         "summed);\n  pending: still alive when the trace ended (" << m.pending_total << " in all)\n";
}

}  // namespace tether::profiler::analysis
