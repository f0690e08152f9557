// docs/integration.md: a libuv handle of your own, its callback run through run_callback.
#include <uv.h>

#include <csignal>
#include <functional>
#include <utility>

#include <tether/async_hooks.hpp>
#include <tether/event_loop.hpp>

// A signal watch: one resource for the handle's life, one callback per signal.
struct signal_watch : tether::async_resource {
  explicit signal_watch(std::function<void(int)> f)
      : tether::async_resource("SIGNALWRAP"), on_signal(std::move(f)) {}
  uv_signal_t handle{};
  std::function<void(int)> on_signal;
};

int main() {
  tether::event_loop loop;
  bool ticked = false;
  signal_watch watch([&](int) {
    tether::next_tick([&] { ticked = true; });  // runs before libuv gets control back
  });
  watch.handle.data = &watch;
  uv_signal_init(loop.native_handle(), &watch.handle);
  uv_signal_start_oneshot(
      &watch.handle,
      [](uv_signal_t* h, int signum) {
        auto& self = *static_cast<signal_watch*>(h->data);
        tether::event_loop::current().run_callback(self, [&] { self.on_signal(signum); });
        uv_close(reinterpret_cast<uv_handle_t*>(h), nullptr);
      },
      SIGUSR1);
  std::raise(SIGUSR1);
  loop.run();
  return ticked ? 0 : 1;
}
