#include "logger.hpp"

#include "request_context.hpp"

namespace shop {

void logger::info(std::string_view about, std::string_view text) {
  const request_info* request = request_context.get_store();
  std::string line = request != nullptr ? "[" + request->client + " conn=" +
                                              std::to_string(request->connection) + "] "
                                        : std::string("[-] ");
  line += text;
  const std::scoped_lock lock(mutex_);
  ++lines_;
  if (request == nullptr) {
    ++without_context_;
  } else if (request->client != about) {
    ++mixups_;
    line += "   <-- MIX-UP: this line is about " + std::string(about);
  }
  if (first_.size() < kept_lines) {
    first_.push_back(std::move(line));
  }
}

std::uint64_t logger::lines() const {
  const std::scoped_lock lock(mutex_);
  return lines_;
}

std::uint64_t logger::mixups() const {
  const std::scoped_lock lock(mutex_);
  return mixups_;
}

std::uint64_t logger::without_context() const {
  const std::scoped_lock lock(mutex_);
  return without_context_;
}

std::vector<std::string> logger::first_lines() const {
  const std::scoped_lock lock(mutex_);
  return first_;
}

logger& log() {
  static logger instance;
  return instance;
}

}  // namespace shop
