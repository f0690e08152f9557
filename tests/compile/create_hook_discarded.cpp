// Must warn: a hook that is created and dropped at once can never fire.
#include <tether/async_hooks.hpp>

void dropped() {
  tether::create_hook({.destroy = [](tether::async_id) {}});
}
