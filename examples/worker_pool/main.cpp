// worker_pool: Node's documented WorkerPool, in C++, with the context right
// for every task. 100 "requests", each in its own async_local_storage
// context and its own resource, submit 100 tasks each to a pool of 4
// workers; every result callback checks that it runs with its request's
// store and triggered by its request. Most tasks wait in the queue, which is
// where Node's documented pool loses the context (README.md).
//
//   worker_pool [--requests N] [--tasks-per-request M] [--workers W]
//               [--create-at submit|dispatch]
//
// Prints "tasks 10000, contexts 100, wrong context 0". Exit status 1 if any
// callback saw the wrong context (--create-at dispatch, Node's way, does).

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>
#include <tether/event_loop.hpp>

#include "worker_pool.hpp"

namespace {

struct options {
  std::size_t requests = 100;
  std::size_t tasks_per_request = 100;
  std::size_t workers = 4;
  pool::create_at when = pool::create_at::submit;
};

[[noreturn]] void usage(const char* problem) {
  std::fprintf(stderr,
               "worker_pool: %s\nusage: worker_pool [--requests N] [--tasks-per-request M] "
               "[--workers W] [--create-at submit|dispatch]\n",
               problem);
  std::exit(2);
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) {
      usage("missing value after an option");
    }
    const std::string_view value = argv[++i];
    const auto number = [&] {
      const unsigned long n = std::strtoul(std::string(value).c_str(), nullptr, 10);
      if (n == 0) {
        usage("counts must be positive numbers");
      }
      return static_cast<std::size_t>(n);
    };
    if (arg == "--requests") {
      o.requests = number();
    } else if (arg == "--tasks-per-request") {
      o.tasks_per_request = number();
    } else if (arg == "--workers") {
      o.workers = number();
    } else if (arg == "--create-at") {
      if (value == "submit") {
        o.when = pool::create_at::submit;
      } else if (value == "dispatch") {
        o.when = pool::create_at::dispatch;
      } else {
        usage("--create-at takes submit or dispatch");
      }
    } else {
      usage("unknown option");
    }
  }
  return o;
}

// The work: something the worker thread spends a little time on.
std::int64_t collatz_steps(std::int64_t n) {
  std::int64_t steps = 0;
  for (std::int64_t x = n; x > 1; ++steps) {
    x = (x % 2 == 0) ? x / 2 : 3 * x + 1;
  }
  return steps;
}

}  // namespace

int main(int argc, char** argv) {
  const options opt = parse(argc, argv);
  tether::event_loop loop;
  tether::async_local_storage<std::size_t> request_id;
  pool::worker_pool workers(opt.workers, &collatz_steps, opt.when);

  std::size_t done = 0;
  std::size_t wrong_store = 0;
  std::size_t wrong_trigger = 0;
  std::size_t wrong_result = 0;
  std::vector<std::unique_ptr<tether::async_resource>> requests;

  for (std::size_t r = 0; r < opt.requests; ++r) {
    // One request: its own store, and its own resource (created inside
    // run(), so it carries the store), whose id every task it submits must
    // come back triggered by.
    request_id.run(r, [&] {
      requests.push_back(std::make_unique<tether::async_resource>("Request"));
      tether::async_resource& request = *requests.back();
      request.run_in_async_scope([&] {
        for (std::size_t t = 0; t < opt.tasks_per_request; ++t) {
          const auto input = static_cast<std::int64_t>(r * opt.tasks_per_request + t + 1);
          workers.submit(input, [&, r, input, request_async_id = request.id()](
                                    std::exception_ptr, std::int64_t steps) {
            ++done;
            const std::size_t* seen = request_id.get_store();
            if (seen == nullptr || *seen != r) {
              ++wrong_store;
            }
            if (tether::trigger_async_id() != request_async_id) {
              ++wrong_trigger;
            }
            if (steps != collatz_steps(input)) {
              ++wrong_result;
            }
          });
        }
      });
    });
  }
  workers.close_when_idle();
  loop.run();

  const std::size_t wrong = wrong_store > wrong_trigger ? wrong_store : wrong_trigger;
  std::printf("tasks %zu, contexts %zu, wrong context %zu\n", done, opt.requests, wrong);
  std::printf("  (wrong store %zu, wrong trigger %zu, wrong result %zu; workers %zu, resource created at %s)\n",
              wrong_store, wrong_trigger, wrong_result, opt.workers,
              opt.when == pool::create_at::submit ? "submission" : "dispatch (Node's pool)");
  const bool ok = done == opt.requests * opt.tasks_per_request && wrong == 0 && wrong_result == 0;
  return ok ? 0 : 1;
}
