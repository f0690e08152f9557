// queue_work's machinery: a job is a "QUEUEWORK" resource riding a
// uv_work_t; fn runs in the job's scope on a pool thread, the completion in
// the same scope on the loop thread.

#include <tether/work.hpp>

#include <uv.h>

#include <new>

#include <tether/event_loop.hpp>
#include <tether/integration.hpp>
#include <tether/uv_error.hpp>

#include "runtime/loop_core.hpp"

namespace tether::detail {
namespace {

static_assert(sizeof(uv_work_t) <= work_base::uv_request_size &&
                  alignof(uv_work_t) <= alignof(std::max_align_t),
              "uv_work_t no longer fits work_base::uv_request: raise uv_request_size");

constexpr std::string_view work_type = "QUEUEWORK";

// See fs.cpp: completions delivered while the loop is torn down run no user
// code.
bool loop_closing(const loop_core& loop) noexcept { return loop.closing(); }

work_base& job_of(uv_work_t* w) noexcept { return *static_cast<work_base*>(w->data); }

// Pool thread. The scope only touches this thread's state; the resource's id,
// trigger and frame were written before uv_queue_work, whose queue lock
// orders them before this read.
void run_job(uv_work_t* w) {
  work_base& job = job_of(w);
  const callback_scope scope(job);
  job.execute();
}

// Loop thread, after libuv has handed the finished job back.
void finish_job(uv_work_t* w, int status) {
  if (job_of(w).loop->defer_if_stopping([w, status] { finish_job(w, status); })) {
    return;
  }
  std::unique_ptr<work_base> job(&job_of(w));
  loop_core& loop = *job->loop;
  if (status == UV_ECANCELED || loop_closing(loop)) {
    emit_destroy(*job);
    return;
  }
  loop.run_callback(
      *job, [&] { job->complete(); },
      [&] {
        emit_destroy(*job);
        job.reset();
      });
}

}  // namespace

void submit_work(std::unique_ptr<work_base> job) {
  loop_core& loop = current_core();
  auto* w = ::new (static_cast<void*>(job->uv_request)) uv_work_t{};
  w->data = job.get();
  job->loop = &loop;
  emit_init(*job, work_type);
  if (const int rc = uv_queue_work(loop.uv(), w, &run_job, &finish_job); rc < 0) {
    emit_destroy(*job);
    throw uv_error(make_uv_error_code(rc), "queue_work");
  }
  job.release();  // owned by libuv until finish_job
}

}  // namespace tether::detail
