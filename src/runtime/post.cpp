// event_loop::post: a POST resource per call, created on the posting thread
// in its context, run on the loop thread in the poll phase (the queue's
// uv_async_t), followed by the tick/microtask drain. Also loop_executor,
// loop_hold and event_loop::run_callback.

#include <tether/event_loop.hpp>

#include <memory>
#include <new>
#include <stdexcept>
#include <string>

#include <tether/error.hpp>
#include <tether/integration.hpp>

#include "runtime/post_queue.hpp"

namespace tether::detail {
namespace {

constexpr std::string_view post_type = "POST";

struct post_node final : resource, inbox_node {
  unique_function<void()> fn;
};

// A post that will never run (its loop ended first): its destroy, then its
// callback is destroyed unrun.
void drop_post(inbox_node* n) noexcept {
  // A reference cast: the inbox never passes null, and a pointer cast's null
  // branch is what -Wnull-dereference would see.
  post_node& node = static_cast<post_node&>(*n);
  std::unique_ptr<post_node> p(&node);
  emit_destroy(node);
}

}  // namespace

post_queue::post_queue(loop_core& loop) : loop_(&loop), capacity_(event_loop::default_post_capacity) {
  if (const int rc = uv_async_init(loop.uv(), &async_, &post_queue::on_async); rc != 0) {
    throw std::runtime_error(std::string("tether: uv_async_init failed: ") + uv_strerror(rc));
  }
  async_.data = this;
  // Unref'd: queued posts and holds ref it (update_ref), nothing else.
  uv_unref(reinterpret_cast<uv_handle_t*>(&async_));
  inbox_.gate().bind(&async_);
  loop.add_handle_owner(*this);
}

// Nothing is left by now (a post that lost the race with the loop's end
// drops its own node, see submit), but freeing is cheap insurance.
post_queue::~post_queue() { inbox::dispose_all(inbox_.take()); }

bool post_queue::submit(unique_function<void()> fn) {
  if (inbox_.reserve(capacity_.load(std::memory_order_relaxed)) != inbox::admit::ok) {
    return false;
  }
  std::unique_ptr<post_node> node;
  try {
    node = std::make_unique<post_node>();
  } catch (...) {
    inbox_.release();
    throw;
  }
  node->fn = std::move(fn);
  node->dispose = &drop_post;
  emit_init(*node, post_type);  // the poster's thread, id, trigger and frame
  inbox_.push(node.release());
  if (inbox_.closed()) [[unlikely]] {
    // The loop ended while we pushed. Its teardown took every node pushed
    // before it closed the inbox (seq_cst: if we see it open, our push came
    // first); ours came after and will never run. Drop it (and any other
    // latecomer) here: destroy now, and post() says false.
    inbox::dispose_all(inbox_.take());
    return false;
  }
  return true;
}

void post_queue::on_async(uv_async_t* h) { static_cast<post_queue*>(h->data)->run_posts(); }

// Poll phase. Every post queued so far, oldest first, each followed by the
// drain. If one throws (no handler: the loop stops), the rest of the batch
// waits for the next run() (before_run wakes the queue again).
void post_queue::run_posts() noexcept {
  batch_.append(inbox_.take());
  while (!loop_->stopping()) {
    auto* p = static_cast<post_node*>(batch_.pop());
    if (p == nullptr) {
      break;
    }
    loop_->run_callback(
        *p, [p] { p->fn(); },
        [this, p] {
          std::unique_ptr<post_node> done(p);
          emit_destroy(*done);
          done.reset();
          inbox_.release();
        });
  }
  update_ref();
}

void post_queue::update_ref() noexcept {
  if (inbox_.closed()) {
    return;
  }
  // Posts that arrived while the batch ran keep the loop alive (their push
  // has signalled the handle again); so do holds.
  const bool want =
      holds_.load(std::memory_order_acquire) > 0 || !batch_.empty() || !inbox_.empty();
  if (want != refed_) {
    refed_ = want;
    auto* h = reinterpret_cast<uv_handle_t*>(&async_);
    want ? uv_ref(h) : uv_unref(h);
  }
}

void post_queue::before_run() noexcept {
  if (inbox_.closed() || (batch_.empty() && inbox_.empty())) {
    return;
  }
  // Posts made before run() (or left by a run() that stopped on an
  // exception): the loop stays alive until they have run.
  if (!refed_) {
    refed_ = true;
    uv_ref(reinterpret_cast<uv_handle_t*>(&async_));
  }
  uv_async_send(&async_);
}

void post_queue::acquire_hold() {
  holds_.fetch_add(1, std::memory_order_acq_rel);
  update_ref();
}

void post_queue::release_hold() noexcept {
  if (holds_.fetch_sub(1, std::memory_order_acq_rel) != 1) {
    return;
  }
  if (on_loop_thread()) {
    update_ref();
  } else {
    inbox_.wake();  // the loop unrefs the handle in run_posts (update_ref)
  }
}

void post_queue::close_on_teardown() noexcept {
  inbox_.close();   // post() returns false from now on
  inbox_.gate().unbind();  // no wake reaches the handle any more
  inbox::dispose_all(batch_.release());
  inbox::dispose_all(inbox_.take());
  uv_close(reinterpret_cast<uv_handle_t*>(&async_), nullptr);
  loop_->remove_handle_owner(*this);
}

std::shared_ptr<post_queue> make_post_queue(loop_core& loop) {
  return std::make_shared<post_queue>(loop);
}

void before_run(post_queue& q) noexcept { q.before_run(); }

bool submit_post(post_queue& q, unique_function<void()> fn) { return q.submit(std::move(fn)); }

bool run_callback_in(loop_core& loop, resource& r, unique_function<void()>& f) noexcept {
  if (loop.stopping()) {
    return false;
  }
  loop.run_user_callback(r, f);
  return true;
}

}  // namespace tether::detail

namespace tether {

loop_executor event_loop::executor() const noexcept { return loop_executor(posts_); }

loop_hold event_loop::hold() {
  if (!posts_->on_loop_thread()) {
    throw usage_error(
        "tether: event_loop::hold() called on a thread that does not run this loop; take the "
        "hold on the loop's thread (any thread may release it)");
  }
  posts_->acquire_hold();
  return loop_hold(posts_);
}

void event_loop::set_post_capacity(std::size_t n) {
  if (n == 0) {
    throw usage_error("tether: event_loop::set_post_capacity(0) would refuse every post; use 1 or more");
  }
  posts_->set_capacity(n);
}

std::size_t event_loop::post_capacity() const noexcept { return posts_->capacity(); }

detail::loop_core& event_loop::checked_core() {
  if (detail::current_loop != core_.get()) {
    throw usage_error(
        "tether: event_loop::run_callback() called on a thread that does not run this loop; call "
        "it from the libuv callback of a handle on this loop");
  }
  return *core_;
}

bool loop_executor::ended() const noexcept { return queue_ == nullptr || queue_->ended(); }

void loop_hold::release() noexcept {
  if (queue_ != nullptr) {
    queue_->release_hold();
    queue_.reset();
  }
}

}  // namespace tether
