// queue_work's machinery: a job is a "QUEUEWORK" resource riding a
// uv_work_t, started and completed as every libuv request
// (runtime/request.hpp); fn runs in the job's scope on a pool thread, the
// completion in the same scope on the loop thread.

#include <tether/work.hpp>

#include <uv.h>

#include <memory>
#include <new>

#include <tether/event_loop.hpp>
#include <tether/integration.hpp>
#include <tether/uv_error.hpp>

#include "runtime/loop_core.hpp"
#include "runtime/request.hpp"

namespace tether::detail {

static_assert(sizeof(uv_work_t) <= work_base::uv_request_size &&
                  alignof(uv_work_t) <= alignof(std::max_align_t),
              "uv_work_t no longer fits work_base::uv_request: raise uv_request_size");

uv_req_t* work_base::native() noexcept { return reinterpret_cast<uv_req_t*>(uv_request); }

namespace {

constexpr std::string_view work_type = "QUEUEWORK";

// Pool thread. The scope only touches this thread's state; the resource's id,
// trigger and frame were written before uv_queue_work, whose queue lock
// orders them before this read.
void run_job(uv_work_t* w) {
  work_base& job = request_of<work_base>(w);
  const callback_scope scope(job);
  job.execute();
}

// Loop thread, after libuv has handed the finished job back. tether never
// cancels a job (uv_cancel), so `status` is 0; a job whose fn did not run
// would complete with operation_canceled (work_job::complete).
void finish_job(uv_work_t* w, int /*status*/) { complete_request(request_of<work_base>(w)); }

}  // namespace

void submit_work(std::unique_ptr<work_base> job) {
  ::new (static_cast<void*>(job->uv_request)) uv_work_t{};  // trivial: nothing to destroy
  (void)start_request(std::move(job), current_core(), work_type, 0, [](work_base& j) {
    const int rc = uv_queue_work(j.loop->uv(), reinterpret_cast<uv_work_t*>(j.native()),
                                 &run_job, &finish_job);
    if (rc < 0) {
      throw uv_error(make_uv_error_code(rc), "queue_work");
    }
    return rc;
  });
}

}  // namespace tether::detail
