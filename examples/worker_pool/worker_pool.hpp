#pragma once
// A fixed-size pool of tether::workers, after Node's documented WorkerPool
// (doc/api/async_context.md, "Using AsyncResource for a Worker thread
// pool"): each task is an async_resource, and its callback runs through
// run_in_async_scope, so the submitter's context comes back with the result.
//
// The one decision that matters is when that resource is created:
//   create_at::submit    in submit(), in the submitter's context (tether's
//                        way: right for every task);
//   create_at::dispatch  when the task is handed to a free worker (Node's
//                        documented pool: for a task that had to wait in the
//                        queue, that is inside the 'message' callback of
//                        whichever task finished before it: its context).

#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/worker.hpp>

namespace pool {

/// What travels over a worker's channel, both ways: a task id and a value.
struct envelope {
  std::uint64_t task = 0;
  std::int64_t value = 0;
};

enum class create_at { submit, dispatch };

class worker_pool {
 public:
  using callback = std::function<void(std::exception_ptr, std::int64_t result)>;

  /// `work` runs on the workers' threads: value in, value out.
  worker_pool(std::size_t size, std::function<std::int64_t(std::int64_t)> work,
              create_at when = create_at::submit)
      : when_(when) {
    for (std::size_t i = 0; i < size; ++i) {
      add_worker(work);
    }
  }

  /// Runs work(input) on a free worker, or when one is free; then cb(error,
  /// result) on this thread's loop, in the task's resource.
  void submit(std::int64_t input, callback cb) {
    auto t = std::make_unique<task>(task{input, std::move(cb), nullptr});
    if (when_ == create_at::submit) {
      t->info = std::make_unique<tether::async_resource>("WorkerPoolTaskInfo");
    }
    queue_.push_back(std::move(t));
    dispatch();
  }

  /// Closes every worker's channel once the queue is empty and nothing is
  /// running: the workers' loops run out of work, and they exit.
  void close_when_idle() {
    closing_ = true;
    maybe_close();
  }

 private:
  struct task {
    std::int64_t input;
    callback cb;
    std::unique_ptr<tether::async_resource> info;
  };
  struct slot {
    tether::message_port<envelope> port;  // the parent's end
    std::unique_ptr<tether::worker> thread;
    std::unique_ptr<task> running;
  };

  void add_worker(const std::function<std::int64_t(std::int64_t)>& work) {
    tether::message_channel<envelope> ch;
    auto s = std::make_unique<slot>();
    s->thread = std::make_unique<tether::worker>(
        [work](tether::message_port<envelope>& port) {
          // The worker's side: answer each task on the same channel.
          port.on_message([&port, work](envelope e) {
            (void)port.post_message(envelope{e.task, work(e.value)});
          });
        },
        std::move(ch.port2));
    s->port = std::move(ch.port1);
    slot* self = s.get();
    s->port.on_message([this, self](envelope result) { finished(*self, result); });
    slots_.push_back(std::move(s));
    free_.push_back(slots_.back().get());
  }

  void dispatch() {
    while (!queue_.empty() && !free_.empty()) {
      slot* s = free_.back();
      free_.pop_back();
      std::unique_ptr<task> t = std::move(queue_.front());
      queue_.pop_front();
      if (!t->info) {
        // Node's pool: the resource is made only now, in whatever context
        // dispatch() runs in.
        t->info = std::make_unique<tether::async_resource>("WorkerPoolTaskInfo");
      }
      const std::uint64_t id = ++next_id_;
      const std::int64_t input = t->input;
      s->running = std::move(t);
      // A worker holds one task at a time: its channel never fills.
      (void)s->port.post_message(envelope{id, input});
    }
  }

  void finished(slot& s, envelope result) {
    std::unique_ptr<task> t = std::move(s.running);
    free_.push_back(&s);
    t->info->run_in_async_scope(t->cb, nullptr, result.value);
    t->info->emit_destroy();
    dispatch();  // runs inside this port's callback, as in Node's pool
    maybe_close();
  }

  void maybe_close() {
    if (closing_ && queue_.empty() && free_.size() == slots_.size()) {
      for (auto& s : slots_) {
        s->port.close();
      }
    }
  }

  create_at when_;
  std::vector<std::unique_ptr<slot>> slots_;
  std::vector<slot*> free_;
  std::deque<std::unique_ptr<task>> queue_;
  std::uint64_t next_id_ = 0;
  bool closing_ = false;
};

}  // namespace pool
