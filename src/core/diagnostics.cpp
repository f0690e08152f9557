// The hook points of tether/detail/diagnostics.hpp: empty until a layer
// installs them (the runtime its await walker, tether::stack_trace its
// exception note).

#include <tether/detail/diagnostics.hpp>

namespace tether::detail {

constinit std::atomic<exception_note_fn> exception_note_hook{nullptr};
constinit std::atomic<await_walk_fn> await_walker{nullptr};

}  // namespace tether::detail
