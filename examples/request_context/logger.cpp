#include "logger.hpp"

#include "request_context.hpp"

namespace demo {

void logger::info(std::uint64_t about_order, std::string text) {
  const request_context* ctx = context.get_store();
  lines_.push_back(log_line{ctx != nullptr ? ctx->request_id : "-",
                            ctx != nullptr ? ctx->order : 0, about_order, std::move(text)});
}

std::string logger::render() const {
  std::string out;
  for (const log_line& l : lines_) {
    out += "[" + l.request_id + " order=" + std::to_string(l.store_order) + "] " + l.text + "\n";
  }
  return out;
}

logger& log() {
  static logger instance;
  return instance;
}

}  // namespace demo
