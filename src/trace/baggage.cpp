// W3C Baggage (https://www.w3.org/TR/baggage/): parse and format.

#include <tether/trace.hpp>

#include <algorithm>
#include <stdexcept>

#include "trace/hex.hpp"
#include "trace/text.hpp"

namespace tether::trace {

namespace {

// baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
// (printable ASCII except space, DQUOTE, comma, semicolon and backslash)
constexpr bool is_baggage_octet(unsigned char c) noexcept {
  return c >= 0x21 && c <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\';
}

// Appends the UTF-8 of U+FFFD.
void append_replacement(std::string& out) { out += "\xEF\xBF\xBD"; }

// Replaces each invalid UTF-8 sequence with U+FFFD (the spec's rule for
// values that do not decode).
std::string sanitize_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t min = 0;
    if (c < 0x80) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      min = 0x10000;
    }
    bool ok = len != 0 && i + len <= s.size();
    std::uint32_t cp = ok ? (c & (0xffu >> (len + 1))) : 0;
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      ok = (cc & 0xc0) == 0x80;
      cp = (cp << 6) | (cc & 0x3fu);
    }
    ok = ok && cp >= min && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff);
    if (ok) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      append_replacement(out);
      ++i;
    }
  }
  return out;
}

// Percent-decodes a value made of baggage-octets; nothing for a bad escape
// or a character outside the grammar.
std::optional<std::string> decode_value(std::string_view v) {
  std::string raw;
  raw.reserve(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (c == '%') {
      if (i + 2 >= v.size()) {
        return std::nullopt;  // a cut-off escape
      }
      auto hex = [](char h) {
        if (h >= 'A' && h <= 'F') {
          return h - 'A' + 10;
        }
        return detail::hex_value(h);
      };
      const int hi = hex(v[i + 1]);
      const int lo = hex(v[i + 2]);
      if (hi < 0 || lo < 0) {
        return std::nullopt;
      }
      raw += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (is_baggage_octet(static_cast<unsigned char>(c))) {
      raw += c;
    } else {
      return std::nullopt;
    }
  }
  return sanitize_utf8(raw);
}

void encode_value(std::string& out, std::string_view v) {
  for (char c : v) {
    const auto u = static_cast<unsigned char>(c);
    if (is_baggage_octet(u) && c != '%') {
      out += c;
    } else {
      out += '%';
      constexpr std::string_view digits = "0123456789ABCDEF";
      out += digits[u >> 4];
      out += digits[u & 0xf];
    }
  }
}

// One property: key OWS "=" OWS value, or key alone; re-emitted normalised.
bool valid_property(std::string_view p) noexcept {
  const std::size_t eq = p.find('=');
  if (eq == std::string_view::npos) {
    return detail::is_token(detail::trim_ows(p));
  }
  const std::string_view value = detail::trim_ows(p.substr(eq + 1));
  return detail::is_token(detail::trim_ows(p.substr(0, eq))) &&
         std::all_of(value.begin(), value.end(),
                     [](char c) { return is_baggage_octet(static_cast<unsigned char>(c)); });
}

std::string format_member(const baggage_entry& e) {
  std::string s = e.key;
  s += '=';
  encode_value(s, e.value);
  if (!e.properties.empty()) {
    s += ';';
    s += e.properties;
  }
  return s;
}

// How many members, from the left, fit the propagation limits (whole
// members only: the spec forbids propagating part of one).
std::size_t members_within_limits(const std::vector<baggage_entry>& entries) {
  std::size_t bytes = 0;
  std::size_t n = 0;
  for (const baggage_entry& e : entries) {
    bytes += format_member(e).size() + (n == 0 ? 0 : 1);  // + the comma
    if (n == baggage::max_members || bytes > baggage::max_bytes) {
      break;
    }
    ++n;
  }
  return n;
}

}  // namespace

std::optional<std::string_view> baggage::get(std::string_view key) const noexcept {
  for (const baggage_entry& e : entries_) {
    if (e.key == key) {
      return std::string_view(e.value);
    }
  }
  return std::nullopt;
}

baggage& baggage::set(std::string key, std::string value, std::string properties) {
  if (!detail::is_token(key)) {
    throw std::invalid_argument("tether::trace::baggage::set: the key \"" + key +
                                "\" is not an HTTP token (letters, digits and !#$%&'*+-.^_`|~)");
  }
  for (baggage_entry& e : entries_) {
    if (e.key == key) {
      e.value = std::move(value);
      e.properties = std::move(properties);
      return *this;
    }
  }
  entries_.push_back({std::move(key), std::move(value), std::move(properties)});
  return *this;
}

bool baggage::remove(std::string_view key) noexcept {
  return std::erase_if(entries_, [&](const baggage_entry& e) { return e.key == key; }) != 0;
}

baggage baggage::parse(std::span<const std::string_view> lines) {
  baggage b;
  for (std::string_view line : lines) {
    for (std::string_view member : detail::split_list(line)) {
      if (member.empty()) {
        continue;
      }
      const std::size_t semi = member.find(';');
      const std::string_view pair = member.substr(0, semi);
      const std::size_t eq = pair.find('=');
      if (eq == std::string_view::npos) {
        continue;  // malformed: dropped
      }
      const std::string_view key = detail::trim_ows(pair.substr(0, eq));
      std::optional<std::string> value = decode_value(detail::trim_ows(pair.substr(eq + 1)));
      if (!detail::is_token(key) || !value) {
        continue;
      }
      std::string properties;
      bool properties_ok = true;
      if (semi != std::string_view::npos) {
        std::string_view rest = member.substr(semi + 1);
        for (;;) {
          const std::size_t next = rest.find(';');
          const std::string_view p = detail::trim_ows(rest.substr(0, next));
          if (!valid_property(p)) {
            properties_ok = false;
            break;
          }
          if (!properties.empty()) {
            properties += ';';
          }
          properties += p;
          if (next == std::string_view::npos) {
            break;
          }
          rest.remove_prefix(next + 1);
        }
      }
      if (!properties_ok) {
        continue;
      }
      b.set(std::string(key), std::move(*value), std::move(properties));
    }
  }
  b.entries_.resize(members_within_limits(b.entries_));
  return b;
}

std::string baggage::format() const {
  std::string out;
  const std::size_t n = members_within_limits(entries_);
  for (std::size_t i = 0; i < n; ++i) {
    if (i != 0) {
      out += ',';
    }
    out += format_member(entries_[i]);
  }
  return out;
}

}  // namespace tether::trace
