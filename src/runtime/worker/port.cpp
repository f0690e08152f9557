// message_channel / message_port: two ports, each an inbox (runtime/
// inbox.hpp) that the other port pushes into, consumed on the loop the port
// is bound to by its own uv_async_t. Every delivery is one callback of the
// port's MESSAGEPORT resource, followed by the tick/microtask drain (Node
// emits one 'message' event per message).
//
// Bound: the inbox gives out `capacity` places; a place is taken before the
// message is built and given back once the receiver's handler has returned,
// so at most `capacity` messages per port are queued or being handled.
// Refused senders are told (post_message returns false) and, once the
// receiver has read half its capacity, woken (on_drain): whichever of the
// two sides sees the other's move first does the wake-up, exactly once
// (drain_wanted is exchanged, seq_cst on both sides).
//
// Closing is a bit in each inbox's place counter: close() sets it on both
// (no more places), and a port finishes (on_close, destroy, handle closed)
// once its counter reads "closed, 0 taken": every message whose place was
// taken before the close has been delivered, even one still being built on
// another thread when close() ran.

#include <tether/worker.hpp>

#include <uv.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>

#include <tether/error.hpp>
#include <tether/event_loop.hpp>
#include <tether/integration.hpp>

#include "runtime/inbox.hpp"
#include "runtime/loop_core.hpp"

namespace tether::detail {
namespace {

constexpr std::string_view port_type = "MESSAGEPORT";

struct port_resource final : resource {};

}  // namespace

struct port_core final : handle_owner {
  channel_core* channel = nullptr;
  int side = 0;
  port_resource res;
  inbox in;           // messages to this port
  inbox_fifo batch;   // taken, not yet delivered (the loop stopped mid-way)
  uv_async_t async{};
  loop_core* loop = nullptr;  // the loop it is bound to
  // Written on the loop thread; port_detach may read `bound` from the thread
  // that destroys the port object.
  std::atomic<bool> bound{false};
  bool finished = false;  // its handle is closed (or closing): it has ended
  bool user_ref = true;
  bool refed = false;     // the handle's ref state
  unique_function<void(inbox_node*)> deliver;
  unique_function<void()> on_close;
  unique_function<void()> on_drain;
  std::atomic<bool> detached{false};      // its message_port object is gone
  std::atomic<bool> drain_wanted{false};  // a post_message of this port was refused (full)
  std::atomic<bool> drain_signal{false};  // ... and the peer has read enough since
  std::atomic<bool> destroy_emitted{false};
  std::shared_ptr<channel_core> keep;  // the channel, while the handle is open

  void close_on_teardown() noexcept override;
};

class channel_core : public std::enable_shared_from_this<channel_core> {
 public:
  explicit channel_core(std::uint64_t cap) : capacity(cap) {
    for (int i = 0; i < 2; ++i) {
      ports[i].channel = this;
      ports[i].side = i;
    }
  }
  ~channel_core() {
    for (port_core& p : ports) {
      inbox::dispose_all(p.batch.release());
      inbox::dispose_all(p.in.take());
      if (!p.destroy_emitted.exchange(true)) {
        emit_destroy(p.res);
      }
    }
  }
  channel_core(const channel_core&) = delete;
  channel_core& operator=(const channel_core&) = delete;

  port_core& peer(int side) noexcept { return ports[1 - side]; }

  const std::uint64_t capacity;
  port_core ports[2];
};

namespace {

std::uint64_t low_water(const channel_core& c) noexcept { return c.capacity / 2; }

void emit_port_destroy(port_core& p) noexcept {
  if (!p.destroy_emitted.exchange(true)) {
    emit_destroy(p.res);
  }
}

// Messages to `p` that will never be delivered: freed, places given back.
void drop_messages(port_core& p, inbox_node* list) noexcept {
  std::uint64_t n = 0;
  while (list != nullptr) {
    inbox_node* next = list->next;
    list->dispose(list);
    list = next;
    ++n;
  }
  if (n != 0) {
    p.in.release(n);
  }
}

void signal_drain(port_core& p) noexcept {
  p.drain_signal.store(true, std::memory_order_seq_cst);
  p.in.wake();
}

void close_channel(channel_core& c) noexcept {
  for (port_core& p : c.ports) {
    if (p.in.close()) {
      p.in.wake();
    }
  }
}

void update_ref(port_core& p) noexcept {
  if (!p.bound || p.finished) {
    return;
  }
  const bool want = p.user_ref && (p.deliver || p.on_close || p.on_drain);
  if (want != p.refed) {
    p.refed = want;
    auto* h = reinterpret_cast<uv_handle_t*>(&p.async);
    want ? uv_ref(h) : uv_unref(h);
  }
}

void on_closed(uv_handle_t* h) {
  auto* p = static_cast<port_core*>(h->data);
  std::shared_ptr<channel_core> keep = std::move(p->keep);  // may free the channel, and p
}

// The port has ended: on_close (unless the port object or the loop went
// away), destroy, the handle closed. Loop thread.
void finish(port_core& p, bool callbacks) noexcept {
  if (p.finished) {
    return;
  }
  close_channel(*p.channel);  // a detached port or an ending loop closes the channel
  if (callbacks && p.on_close) {
    unique_function<void()> fn = std::move(p.on_close);
    p.loop->run_callback(p.res, fn, [] {});
  }
  p.finished = true;
  drop_messages(p, p.batch.release());
  drop_messages(p, p.in.take());
  emit_port_destroy(p);
  p.in.gate().unbind();
  p.loop->remove_handle_owner(p);
  // Handlers may own port objects (of this channel too): destroyed here,
  // their detach finds this port finished.
  p.deliver = nullptr;
  p.on_close = nullptr;
  p.on_drain = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&p.async), &on_closed);
}

void after_delivery(port_core& p) noexcept {
  const std::uint64_t left = p.in.release();
  port_core& sender = p.channel->peer(p.side);
  if (left <= low_water(*p.channel) && sender.drain_wanted.load(std::memory_order_seq_cst) &&
      sender.drain_wanted.exchange(false, std::memory_order_seq_cst)) {
    signal_drain(sender);
  }
}

void on_async(uv_async_t* h) {
  port_core& p = *static_cast<port_core*>(h->data);
  loop_core& loop = *p.loop;
  if (loop.stopping()) {
    // No user code while the loop stops: look again in the next run().
    uv_async_send(&p.async);
    return;
  }
  if (p.detached.load(std::memory_order_acquire)) {
    finish(p, false);
    return;
  }
  if (p.drain_signal.exchange(false, std::memory_order_seq_cst) && p.on_drain) {
    // Kept for later drains: run a moved-out copy, put it back unless the
    // callback set another.
    unique_function<void()> fn = std::move(p.on_drain);
    loop.run_callback(p.res, fn, [] {});
    if (!p.on_drain && !p.finished) {
      p.on_drain = std::move(fn);
    }
  }
  p.batch.append(p.in.take());
  if (p.deliver) {
    while (!loop.stopping() && !p.finished) {
      if (p.detached.load(std::memory_order_acquire)) {
        finish(p, false);
        return;
      }
      inbox_node* n = p.batch.pop();
      if (n == nullptr) {
        break;
      }
      unique_function<void(inbox_node*)> fn = std::move(p.deliver);
      loop.run_callback(
          p.res, [&] { fn(n); },
          [&] {
            n->dispose(n);
            after_delivery(p);
          });
      if (!p.deliver && !p.finished) {
        p.deliver = std::move(fn);
      }
    }
    if (loop.stopping() && !p.batch.empty()) {
      uv_async_send(&p.async);
      return;
    }
  } else if (p.in.closed()) {
    // Closed with no handler to deliver to: what is queued goes unread.
    drop_messages(p, p.batch.release());
  }
  if (!p.finished && p.in.drained() && p.batch.empty()) {
    finish(p, true);
  }
}

// Binds `p` to the calling thread's loop (the first on_message / on_close /
// on_drain / ref / unref does).
void bind(port_core& p) {
  loop_core& loop = current_core();  // usage_error without a loop
  if (p.bound) {
    if (p.loop != &loop) {
      throw usage_error(
          "tether: message_port used on a thread whose loop it is not bound to; a port is bound "
          "to the loop of the thread that first set a handler on it (on_message, on_close, "
          "on_drain, ref, unref): use it there, or move a fresh port to this thread");
    }
    if (p.finished) {
      throw usage_error(
          "tether: message_port has ended (its channel closed and on_close ran, or its loop was "
          "destroyed); create a new message_channel");
    }
    return;
  }
  if (const int rc = uv_async_init(loop.uv(), &p.async, &on_async); rc != 0) {
    throw std::runtime_error(std::string("tether: uv_async_init failed: ") + uv_strerror(rc));
  }
  p.async.data = &p;
  p.keep = p.channel->shared_from_this();
  p.loop = &loop;
  p.bound.store(true, std::memory_order_release);
  p.refed = true;  // a fresh handle is ref'd; update_ref sets what is wanted
  loop.add_handle_owner(p);
  p.in.gate().bind(&p.async);
  update_ref(p);
  // Whatever already waits (messages, a close, a drain signal) is looked
  // at in the next poll phase.
  uv_async_send(&p.async);
}

}  // namespace

void port_core::close_on_teardown() noexcept { finish(*this, false); }

std::shared_ptr<channel_core> make_channel(std::size_t capacity) {
  if (capacity == 0) {
    throw usage_error(
        "tether: message_channel capacity 0 would refuse every message; use 1 or more");
  }
  auto c = std::make_shared<channel_core>(capacity);
  emit_init(c->ports[0].res, port_type);
  emit_init(c->ports[1].res, port_type);
  return c;
}

int port_reserve(channel_core& c, int side) noexcept {
  port_core& target = c.peer(side);
  switch (target.in.reserve(c.capacity)) {
    case inbox::admit::ok:
      return 0;
    case inbox::admit::closed:
      return 1;
    case inbox::admit::full:
      break;
  }
  // Full: ask for on_drain. If the receiver has already read enough since,
  // it may have missed the request: then wake ourselves (whoever exchanges
  // the flag back to false does it, once).
  port_core& self = c.ports[side];
  self.drain_wanted.store(true, std::memory_order_seq_cst);
  if (target.in.size() <= low_water(c) &&
      self.drain_wanted.exchange(false, std::memory_order_seq_cst)) {
    signal_drain(self);
  }
  return 2;
}

void port_unreserve(channel_core& c, int side) noexcept {
  port_core& target = c.peer(side);
  target.in.release();
  if (target.in.drained()) {
    target.in.wake();  // a close may be waiting for this place
  }
}

void port_push(channel_core& c, int side, inbox_node* n) noexcept { c.peer(side).in.push(n); }

void port_on_message(channel_core& c, int side, unique_function<void(inbox_node*)> deliver) {
  port_core& p = c.ports[side];
  bind(p);
  p.deliver = std::move(deliver);
  update_ref(p);
  p.in.wake();
}

void port_on_close(channel_core& c, int side, unique_function<void()> fn) {
  port_core& p = c.ports[side];
  bind(p);
  p.on_close = std::move(fn);
  update_ref(p);
}

void port_on_drain(channel_core& c, int side, unique_function<void()> fn) {
  port_core& p = c.ports[side];
  bind(p);
  p.on_drain = std::move(fn);
  update_ref(p);
}

void port_close(channel_core& c) noexcept { close_channel(c); }

void port_detach(channel_core& c, int side) noexcept {
  port_core& p = c.ports[side];
  close_channel(c);
  p.detached.store(true, std::memory_order_release);
  if (p.bound.load(std::memory_order_acquire)) {
    p.in.wake();  // its loop finishes it, or its teardown does (a no-op once finished)
    return;
  }
  // Never bound: nothing will read what is queued to it.
  drop_messages(p, p.in.take());
  emit_port_destroy(p);
}

void port_set_ref(channel_core& c, int side, bool refed) {
  port_core& p = c.ports[side];
  bind(p);
  p.user_ref = refed;
  update_ref(p);
}

bool port_has_ref(const channel_core& c, int side) noexcept { return c.ports[side].refed; }

bool port_closed(const channel_core& c) noexcept {
  return c.ports[0].in.closed() || c.ports[1].in.closed();
}

std::size_t port_backlog(const channel_core& c, int side) noexcept {
  return static_cast<std::size_t>(c.ports[1 - side].in.size());
}

void throw_detached_port() {
  throw usage_error(
      "tether: this message_port belongs to no channel (default-constructed or moved from); use "
      "a port of a message_channel");
}

}  // namespace tether::detail
