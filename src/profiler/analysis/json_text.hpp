#pragma once
// JSON string literals for the Chrome trace and the HTML report's data.

#include <cstdio>
#include <string>
#include <string_view>

namespace tether::profiler::analysis {

/// Appends `s` as a JSON string. '<', '>' and '&' are escaped too, so the
/// text is safe inside an HTML <script> element (no "</script>", no "<!--").
inline void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20 || c == '<' || c == '>' || c == '&') {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", u);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

}  // namespace tether::profiler::analysis
