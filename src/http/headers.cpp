// tether::http::headers and status_text (include/tether/http_headers.hpp).

#include <tether/http_headers.hpp>

#include <http_parser.h>

#include <algorithm>
#include <cstring>

namespace tether::http {

namespace {

constexpr char lower(char c) noexcept {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) {
      return false;
    }
  }
  return true;
}

const header* headers::find(std::string_view name) const noexcept {
  for (const header& h : fields_) {
    if (iequals(h.name, name)) {
      return &h;
    }
  }
  return nullptr;
}

std::optional<std::string_view> headers::get(std::string_view name) const noexcept {
  if (const header* h = find(name)) {
    return std::string_view(h->value);
  }
  return std::nullopt;
}

std::vector<std::string_view> headers::get_all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const header& h : fields_) {
    if (iequals(h.name, name)) {
      out.emplace_back(h.value);
    }
  }
  return out;
}

std::size_t headers::count(std::string_view name) const noexcept {
  return static_cast<std::size_t>(std::count_if(
      fields_.begin(), fields_.end(), [name](const header& h) { return iequals(h.name, name); }));
}

void headers::set(std::string name, std::string value) {
  auto first = std::find_if(fields_.begin(), fields_.end(),
                            [&name](const header& h) { return iequals(h.name, name); });
  if (first == fields_.end()) {
    fields_.push_back(header{std::move(name), std::move(value)});
    return;
  }
  const auto at = first - fields_.begin();
  fields_.erase(std::remove_if(first + 1, fields_.end(),
                               [&name](const header& h) { return iequals(h.name, name); }),
                fields_.end());
  fields_[static_cast<std::size_t>(at)] = header{std::move(name), std::move(value)};
}

std::size_t headers::remove(std::string_view name) {
  const auto before = fields_.size();
  fields_.erase(std::remove_if(fields_.begin(), fields_.end(),
                               [name](const header& h) { return iequals(h.name, name); }),
                fields_.end());
  return before - fields_.size();
}

std::string_view status_text(int status) noexcept {
  if (status < 100 || status > 599) {
    return "Unknown";
  }
  // http-parser's table (RFC 7231 and friends) answers "<unknown>" for codes
  // it does not name.
  const char* s = http_status_str(static_cast<enum http_status>(status));
  if (s == nullptr || std::strcmp(s, "<unknown>") == 0) {
    return "Unknown";
  }
  return s;
}

}  // namespace tether::http
