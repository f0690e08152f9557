// libFuzzer target for the three W3C header parsers of tether::trace:
// traceparent, tracestate and baggage.
//
// Besides "no crash, no sanitizer report", it checks that what tether sends
// is what it reads back: format(parse(x)) parses to the same value for each
// header, and parsing is idempotent on its own output (a difference calls
// __builtin_trap()). The input is split at NUL bytes into header lines.
//
//   cmake --preset fuzz && cmake --build --preset fuzz
//   ./build/fuzz/tests/fuzz/trace_headers_fuzz -max_total_time=60 \
//       /tmp/corpus tests/fuzz/corpus/trace_headers

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <tether/trace.hpp>

namespace {

namespace trace = tether::trace;

void check(bool ok) {
  if (!ok) {
    __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> lines;
  for (std::size_t start = 0;;) {
    const std::size_t nul = input.find('\0', start);
    lines.push_back(input.substr(start, nul - start));
    if (nul == std::string_view::npos) {
      break;
    }
    start = nul + 1;
  }

  // traceparent: what we format, we read back as the same context.
  if (const auto c = trace::parse_traceparent(lines.front())) {
    check(c->valid());
    const std::string out = trace::format_traceparent(*c);
    check(out.size() == 55);
    const auto again = trace::parse_traceparent(out);
    check(again.has_value() && again->trace == c->trace && again->span == c->span &&
          again->flags == c->flags);
  }

  // tracestate: the normalised list parses to itself, within the limits.
  if (const auto ts = trace::parse_tracestate(lines)) {
    check(ts->size() <= 512);
    const std::vector<std::string_view> one{*ts};
    const auto again = trace::parse_tracestate(one);
    check(again.has_value() && *again == *ts);
  }

  // baggage: format(parse(x)) parses to the same members, within the limits.
  const trace::baggage b = trace::baggage::parse(lines);
  check(b.size() <= trace::baggage::max_members);
  const std::string formatted = b.format();
  check(formatted.size() <= trace::baggage::max_bytes);
  const std::vector<std::string_view> one{formatted};
  check(trace::baggage::parse(one) == b);
  return 0;
}
