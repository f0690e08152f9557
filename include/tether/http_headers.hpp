#pragma once
// tether::http::headers: the header fields of one HTTP/1.1 message, in the
// order they were received or set, with case-insensitive lookup (Node's
// message.rawHeaders plus message.headers). Used by <tether/http.hpp>;
// standalone so that the sans-I/O parser (and its fuzz target) need nothing
// of the event loop.

#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace tether::http {

/// One header field: the name as it was spelt, the value without the
/// surrounding whitespace.
struct header {
  std::string name;
  std::string value;

  friend bool operator==(const header&, const header&) = default;
};

/// True when a and b are equal ignoring ASCII case (header names, tokens).
bool iequals(std::string_view a, std::string_view b) noexcept;

/// An ordered list of header fields. Lookups are linear and case-insensitive
/// (a message has a handful of fields: a scan beats hashing). Duplicates are
/// kept as received; get() returns the first. Thread-compatible.
class headers {
 public:
  using const_iterator = std::vector<header>::const_iterator;

  headers() = default;
  headers(std::initializer_list<header> fields) : fields_(fields) {}

  /// The first value of `name`, or nothing.
  std::optional<std::string_view> get(std::string_view name) const noexcept;
  /// Every value of `name`, in order.
  std::vector<std::string_view> get_all(std::string_view name) const;
  bool contains(std::string_view name) const noexcept { return find(name) != nullptr; }
  /// How many fields are named `name`.
  std::size_t count(std::string_view name) const noexcept;

  /// Appends a field (a second Set-Cookie, say).
  void add(std::string name, std::string value) {
    fields_.push_back(header{std::move(name), std::move(value)});
  }
  /// Replaces every field named `name` by one (kept at the first one's place).
  void set(std::string name, std::string value);
  /// Removes every field named `name`; returns how many there were.
  std::size_t remove(std::string_view name);
  void clear() noexcept { fields_.clear(); }
  void reserve(std::size_t n) { fields_.reserve(n); }

  std::size_t size() const noexcept { return fields_.size(); }
  bool empty() const noexcept { return fields_.empty(); }
  const header& operator[](std::size_t i) const noexcept { return fields_[i]; }
  const_iterator begin() const noexcept { return fields_.begin(); }
  const_iterator end() const noexcept { return fields_.end(); }

  /// The parser appends to the last field while a value arrives in pieces.
  std::vector<header>& fields() noexcept { return fields_; }

  friend bool operator==(const headers&, const headers&) = default;

 private:
  const header* find(std::string_view name) const noexcept;

  std::vector<header> fields_;
};

/// The reason phrase of a status code ("Not Found"); "Unknown" for codes
/// without one.
std::string_view status_text(int status) noexcept;

}  // namespace tether::http
