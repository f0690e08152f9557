#include "order_store.hpp"

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include <tether/fs.hpp>

#include "logger.hpp"

namespace demo {

namespace {

const char* const items[] = {"widget", "gadget", "sprocket", "flange", "gizmo"};

}  // namespace

order_store::order_store(std::size_t file_count) : file_count_(file_count) {
  std::string templ = (std::filesystem::temp_directory_path() / "tether-request-context-XXXXXX").string();
  if (::mkdtemp(templ.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + templ);
  }
  dir_ = templ;
  // Set-up, before the loop runs: plain synchronous writes are fine here.
  for (std::size_t i = 0; i < file_count_; ++i) {
    std::ofstream out(dir_ + "/order-" + std::to_string(i) + ".txt");
    out << items[i % std::size(items)] << ' ' << (1 + i % 7) << ' ' << (199 + 50 * i) << '\n';
  }
}

order_store::~order_store() {
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string order_store::file_for(std::uint64_t id) const {
  return dir_ + "/order-" + std::to_string(id % file_count_) + ".txt";
}

tether::promise<order_record> order_store::load(std::uint64_t id) const {
  const std::string path = file_for(id);
  std::string text = co_await tether::fs::promises::read_file(path);
  order_record rec;
  rec.id = id;
  std::istringstream in(text);
  if (!(in >> rec.item >> rec.quantity >> rec.unit_price_cents)) {
    throw std::runtime_error("corrupt order file " + path);
  }
  log().info(id, "loaded order " + std::to_string(id) + " from " +
                     std::filesystem::path(path).filename().string() + " (" +
                     std::to_string(text.size()) + " bytes)");
  co_return rec;
}

}  // namespace demo
