#pragma once
// The data-access layer: orders live in small files, read with tether::fs.
// It logs through demo::log() and never sees the request.

#include <cstdint>
#include <string>

#include <tether/promise.hpp>

namespace demo {

struct order_record {
  std::uint64_t id = 0;
  std::string item;
  std::uint64_t quantity = 0;
  std::uint64_t unit_price_cents = 0;
};

class order_store {
 public:
  /// Creates `file_count` order files under a fresh directory in /tmp.
  explicit order_store(std::size_t file_count = 32);
  order_store(const order_store&) = delete;
  order_store& operator=(const order_store&) = delete;
  /// Removes the directory and the files in it.
  ~order_store();

  /// Reads order `id` from its file (one fs read_file: open, fstat, read, close).
  tether::promise<order_record> load(std::uint64_t id) const;

  const std::string& directory() const noexcept { return dir_; }

 private:
  std::string file_for(std::uint64_t id) const;

  std::string dir_;
  std::size_t file_count_;
};

}  // namespace demo
