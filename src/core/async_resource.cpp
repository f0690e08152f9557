#include <tether/async_hooks.hpp>

#include <cstring>
#include <string>

namespace tether {
namespace {

std::string describe(const resource& r) {
  return "resource " + std::to_string(r.id()) + " (\"" + std::string(r.type()) + "\")";
}

}  // namespace

async_resource::async_resource(std::string_view type, async_resource_options options)
    : require_manual_destroy_(options.require_manual_destroy) {
  if (type.empty()) {
    throw usage_error(
        "tether: async_resource constructed with an empty type; pass a name that says what the "
        "resource is, e.g. async_resource(\"DbQuery\")");
  }
  char* stored = inline_type_;
  if (type.size() > inline_type_capacity) {
    heap_type_ = std::make_unique<char[]>(type.size());
    stored = heap_type_.get();
  }
  std::memcpy(stored, type.data(), type.size());
  emit_init(*this, std::string_view(stored, type.size()), options.trigger_async_id);
}

async_resource::~async_resource() {
  if (!require_manual_destroy_ && !destroyed()) {
    detail::resource_access::mark_destroyed(*this);
    detail::emit_hook(detail::hook_event::destroy, *this);
  }
}

void async_resource::emit_destroy() { tether::emit_destroy(*this); }

void async_resource::throw_run_after_destroy() const {
  throw usage_error("tether: run_in_async_scope() called on " + describe(*this) +
                    " after emit_destroy(); create a new async_resource for new work, or call "
                    "emit_destroy() only when the resource will run no more");
}

namespace detail {

void destroyed_twice(const resource& r) {
  throw usage_error("tether: emit_destroy() called twice for " + describe(r) +
                    "; destroy fires exactly once per resource, so call it once (or, for an "
                    "async_resource without require_manual_destroy, let the destructor do it)");
}

}  // namespace detail

}  // namespace tether
