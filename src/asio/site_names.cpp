#include <deque>
#include <mutex>
#include <string>

#include "asio/flavour.hpp"

namespace tether::detail::TETHER_ASIO_BUILD_FLAVOUR {

// Called once per call site that classify() does not know (its result is a
// static of that site), so the set is bounded by the program's call sites
// and the lock is never on a hot path.
std::string_view unknown_site_name(const char* object, const char* op) {
  static std::mutex mutex;
  static std::deque<std::string> names;  // a deque: its strings never move
  const std::scoped_lock lock(mutex);
  std::string name = std::string("asio.") + (object != nullptr ? object : "?") + "." +
                     (op != nullptr ? op : "?");
  for (const std::string& known : names) {
    if (known == name) {
      return known;
    }
  }
  return names.emplace_back(std::move(name));
}

}  // namespace tether::detail::TETHER_ASIO_BUILD_FLAVOUR
