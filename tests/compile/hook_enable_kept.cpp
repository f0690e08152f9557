// Must compile without a single warning: the forms docs/async_hooks.md
// recommends for keeping a hook.
#include <tether/async_hooks.hpp>

void kept() {
  auto one = tether::create_hook({.destroy = [](tether::async_id) {}}).enable();
  auto two = tether::create_hook({.destroy = [](tether::async_id) {}});
  two.enable();              // on a named hook: returns async_hook&, ignoring it is fine
  two.enable().disable();    // chaining on the named hook
  (void)one.enabled();
}
