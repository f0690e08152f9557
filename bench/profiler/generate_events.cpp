// tether_profiler_generate <lives>: a synthetic program for the report
// benchmark. Each "life" is 8 events: a Request resource whose callback
// creates and runs a Query (nested), both destroyed; every 100th Query is
// left pending. Run it with TETHER_PROFILE set (and a large
// TETHER_PROFILE_BUFFER so that nothing is dropped).

#include <cstdlib>
#include <memory>
#include <vector>

#include <tether/integration.hpp>

namespace {
struct op : tether::resource {
  explicit op(std::string_view type) { tether::emit_init(*this, type); }
};
}  // namespace

int main(int argc, char** argv) {
  const long lives = argc > 1 ? std::atol(argv[1]) : 1'250'000;
  std::vector<std::unique_ptr<op>> leaked;
  for (long k = 0; k < lives; ++k) {
    op request("Request");
    {
      tether::callback_scope s(request);
      auto query = std::make_unique<op>(k % 3 == 0 ? "Query" : "Cache");
      { tether::callback_scope q(*query); }
      if (k % 100 == 0 && leaked.size() < 1000) {
        leaked.push_back(std::move(query));
      } else {
        tether::emit_destroy(*query);
      }
    }
    tether::emit_destroy(request);
  }
  return 0;
}
