// Must warn (and fail under -Werror): the literal port of Node's
// createHook({...}).enable() would enable a temporary hook that is destroyed,
// and so disabled, at the ';'. Checked by tests/CMakeLists.txt.
#include <tether/async_hooks.hpp>

void port_of_node() {
  tether::create_hook({.destroy = [](tether::async_id) {}}).enable();
}
