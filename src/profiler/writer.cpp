// The recording session: the trace file, the hook that feeds the rings and
// the background writer thread that empties them.

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>
#include <thread>

#include <tether/async_hooks.hpp>
#include <tether/error.hpp>

#include "profiler/clock.hpp"
#include "profiler/recorder.hpp"

namespace tether::profiler::detail {
namespace {

struct session {
  options opts;
  std::string path;
  pid_t pid = 0;
  std::uint64_t generation = 0;
  int fd = -1;
  int wake_fd = -1;
  int done_pipe[2] = {-1, -1};
  std::thread writer;
  pthread_t writer_id{};
  async_hook hook;
  tick_converter clock;

  std::atomic<bool> stop_requested{false};
  std::atomic<int> signal_requested{0};
  format::end_reason reason = format::end_reason::stopped;  // written before stop_requested
  std::string message;                                      // idem

  // Writer-owned.
  std::string payload;  // reused across chunks and passes: no allocation once warm
  std::string meta;
  std::string chunks;
  std::uint32_t types_written = 1;
  bool write_failed = false;
  std::uint64_t exit_drops_at_start = 0;
  std::atomic<std::uint64_t> recorded{0};
  std::atomic<std::uint64_t> unwritten{0};  // consumed after a write error
  std::atomic<std::uint64_t> bytes{0};
  std::atomic<bool> finished{false};
};

std::mutex control_mutex;                  // serialises start and stop
std::atomic<std::int64_t> writer_stall_ms{0};
// The running session. Owned through this pointer (made by start, deleted by
// stop through a unique_ptr) rather than by a static unique_ptr, whose
// destructor could run at exit before the atexit handler that flushes it.
// Read without the lock by the hot path's wake-up and the signal handler.
std::atomic<session*> current_session{nullptr};
std::uint64_t last_generation = 0;         // guarded by control_mutex

std::string expand_path(std::string_view pattern) {
  std::string out;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '%' && i + 1 < pattern.size() && pattern[i + 1] == 'p') {
      out += std::to_string(::getpid());
      ++i;
    } else {
      out += pattern[i];
    }
  }
  return out;
}

std::string command_line() {
  std::string s;
  const int fd = ::open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    char buf[4096];
    ssize_t n = 0;
    while ((n = ::read(fd, buf, sizeof buf)) > 0 && s.size() < 65536) {
      s.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
  }
  while (!s.empty() && s.back() == '\0') {
    s.pop_back();
  }
  for (char& c : s) {
    if (c == '\0') {
      c = ' ';
    }
  }
  return s;
}

void write_all(session& s, const std::string& data) noexcept {
  if (s.write_failed) {
    return;
  }
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(s.fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      s.write_failed = true;
      std::string line = "tether: profiler: cannot write " + s.path + ": " + std::strerror(errno) +
                         "; the program goes on, its events are counted as dropped\n";
      [[maybe_unused]] const ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
      return;
    }
    done += static_cast<std::size_t>(n);
  }
  s.bytes.fetch_add(data.size(), std::memory_order_relaxed);
}

void encode_chunk(session& s, thread_ring& ring, std::uint64_t tail, std::uint64_t head, std::string& out) {
  std::string& payload = s.payload;
  payload.clear();
  payload.reserve(static_cast<std::size_t>(head - tail) * 6 + 16);
  const std::uint64_t first_ns = std::max(s.clock.to_ns(ring.at(tail).ticks), ring.last_ns);
  format::put_varint(payload, ring.index());
  format::put_varint(payload, first_ns);
  format::put_varint(payload, head - tail);
  std::uint64_t prev_ns = first_ns;
  std::uint64_t prev_id = 0;
  std::uint64_t real_events = 0;
  for (std::uint64_t i = tail; i < head; ++i) {
    const event& e = ring.at(i);
    // Per-thread clamp: the tick->ns line is refined every cycle, and a
    // thread's own events must never go back in time.
    const std::uint64_t ns = std::max(s.clock.to_ns(e.ticks), prev_ns);
    const auto k = static_cast<format::kind>(e.kind_type & ((1u << format::kind_bits) - 1));
    format::put_varint(payload, ((ns - prev_ns) << format::kind_bits) | static_cast<std::uint64_t>(k));
    prev_ns = ns;
    if (k == format::kind::lost) {
      format::put_varint(payload, e.id);
      ring.marked_lost += e.id;
      continue;
    }
    ++real_events;
    format::put_varint(payload, format::zigzag(static_cast<std::int64_t>(e.id - prev_id)));
    prev_id = e.id;
    if (k == format::kind::init) {
      format::put_varint(payload, format::zigzag(static_cast<std::int64_t>(e.id - e.trigger)));
      format::put_varint(payload, e.kind_type >> format::kind_bits);
      format::put_varint(payload, e.stack);
    }
  }
  ring.last_ns = prev_ns;
  format::put_record(out, format::tag::chunk, payload);
  if (s.write_failed) {
    s.unwritten.fetch_add(real_events, std::memory_order_relaxed);
  } else {
    s.recorded.fetch_add(real_events, std::memory_order_relaxed);
  }
}

void put_thread(std::string& out, const thread_ring& ring, std::string_view name) {
  std::string payload;
  format::put_varint(payload, ring.index());
  format::put_varint(payload, ring.tid());
  format::put_string(payload, name);
  format::put_record(out, format::tag::thread, payload);
}

/// Drops after a thread's last recorded event have no later event to carry
/// their `lost` marker; once the thread can record no more (it exited, or
/// the recording ends) the writer adds the marker itself.
void mark_trailing_loss(thread_ring& ring, std::string& out) {
  const std::uint64_t unmarked = ring.dropped() - ring.marked_lost;
  if (unmarked == 0) {
    return;
  }
  std::string payload;
  format::put_varint(payload, ring.index());
  format::put_varint(payload, ring.last_ns);
  format::put_varint(payload, 1);
  format::put_varint(payload, static_cast<std::uint64_t>(format::kind::lost));
  format::put_varint(payload, unmarked);
  format::put_record(out, format::tag::chunk, payload);
  ring.marked_lost += unmarked;
}

/// One pass over every ring: the events, then the type names they use,
/// then the cycle's watermark. `final`: the recording has stopped.
void cycle(session& s, bool final = false) {
  s.clock.refresh();
  // Taken before any head is read: an event stamped earlier is either in
  // this pass or was still being pushed (event_merger allows one cycle).
  const std::uint64_t watermark = s.clock.to_ns(now_ticks());

  std::vector<std::shared_ptr<thread_ring>> rings;
  {
    ring_registry& r = registry();
    std::lock_guard lock(r.mutex);
    rings = r.rings;
  }
  std::string& meta = s.meta;
  std::string& chunks = s.chunks;
  meta.clear();
  chunks.clear();
  std::vector<thread_ring*> finished_rings;
  for (const auto& ring : rings) {
    // `closed` first: everything the thread pushed before closing is then
    // visible in the head read after it.
    const bool closed = ring->closed.load(std::memory_order_acquire);
    if (!ring->announced) {
      ring->announced_name = closed ? ring->final_name : thread_name(ring->tid());
      put_thread(meta, *ring, ring->announced_name);
      ring->announced = true;
    }
    const std::uint64_t tail = ring->consumer_tail();
    const std::uint64_t head = ring->published_head();
    if (head != tail) {
      encode_chunk(s, *ring, tail, head, chunks);
      ring->release(head);
    }
    if (closed || final) {
      mark_trailing_loss(*ring, chunks);
    }
    if (closed) {
      if (!ring->final_name.empty() && ring->final_name != ring->announced_name) {
        put_thread(chunks, *ring, ring->final_name);
      }
      finished_rings.push_back(ring.get());
    }
  }
  // After every head: a type id in those events was interned before its
  // event was published, so it is below this count.
  const std::uint32_t count = type_count();
  for (; s.types_written < count; ++s.types_written) {
    std::string payload;
    format::put_varint(payload, s.types_written);
    format::put_string(payload, type_name(s.types_written));
    format::put_record(meta, format::tag::type, payload);
  }
  std::string cycle_payload;
  format::put_varint(cycle_payload, watermark);
  format::put_record(chunks, format::tag::cycle, cycle_payload);

  write_all(s, meta);  // names and threads before the events that use them
  write_all(s, chunks);

  if (!finished_rings.empty()) {
    ring_registry& r = registry();
    std::lock_guard lock(r.mutex);
    std::erase_if(r.rings, [&](const std::shared_ptr<thread_ring>& ring) {
      if (std::find(finished_rings.begin(), finished_rings.end(), ring.get()) == finished_rings.end()) {
        return false;
      }
      r.retired_dropped += ring->dropped();
      return true;
    });
  }
}

std::uint64_t total_dropped(const session& s) noexcept;

stats stats_of(const session& s) noexcept {
  stats result;
  result.recorded = s.recorded.load();
  result.dropped = total_dropped(s);
  result.bytes_written = s.bytes.load();
  ring_registry& r = registry();
  std::lock_guard lock(r.mutex);
  result.threads = r.threads_seen;
  return result;
}

std::uint64_t total_dropped(const session& s) noexcept {
  ring_registry& r = registry();
  std::uint64_t dropped = 0;
  {
    std::lock_guard lock(r.mutex);
    dropped = r.retired_dropped;
    for (const auto& ring : r.rings) {
      dropped += ring->dropped();
    }
  }
  return dropped + dropped_at_thread_exit.load(std::memory_order_relaxed) - s.exit_drops_at_start +
         s.unwritten.load(std::memory_order_relaxed);
}

void write_end(session& s, format::end_reason reason, std::string_view message) {
  std::string payload;
  format::put_varint(payload, s.clock.to_ns(now_ticks()));
  format::put_varint(payload, s.recorded.load(std::memory_order_relaxed));
  format::put_varint(payload, total_dropped(s));
  format::put_varint(payload, static_cast<std::uint64_t>(reason));
  format::put_string(payload, message);
  std::string out;
  format::put_record(out, format::tag::end, payload);
  write_all(s, out);
}

void writer_main(session& s) {
  // Signals go to the program's threads, never here: the signal flush path
  // waits for this thread.
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  pthread_setname_np(pthread_self(), "tether-prof");

  const int interval = static_cast<int>(std::max<std::int64_t>(1, s.opts.flush_interval.count()));
  pollfd p{s.wake_fd, POLLIN, 0};
  for (;;) {
    const int ready = ::poll(&p, 1, interval);
    if (ready > 0 && (p.revents & POLLIN) != 0) {
      std::uint64_t n = 0;
      [[maybe_unused]] const ssize_t ignored = ::read(s.wake_fd, &n, sizeof n);
    }
    if (const std::int64_t stall = writer_stall_ms.load(std::memory_order_relaxed); stall > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(stall));
    }
    const bool stopping = s.stop_requested.load(std::memory_order_acquire);
    const int signo = s.signal_requested.load(std::memory_order_acquire);
    try {
      cycle(s, stopping || signo != 0);
      if (signo != 0) {
        write_end(s, format::end_reason::signal, "signal " + std::to_string(signo));
        s.finished.store(true, std::memory_order_release);
        const char done = 1;
        [[maybe_unused]] const ssize_t ignored = ::write(s.done_pipe[1], &done, 1);
        return;
      }
      if (stopping) {
        write_end(s, s.reason, s.message);
        return;
      }
    } catch (...) {
      // Out of memory while encoding: nothing sensible to write; keep the
      // rings draining so the program never blocks.
    }
  }
}

void close_fd(int& fd) noexcept {
  if (fd >= 0) {
    ::close(fd);
    fd = -1;
  }
}

}  // namespace

void start_session(const options& opts, bool from_environment) {
  if (opts.path.empty()) {
    throw usage_error("tether::profiler::start: options.path is empty; give the trace file to write");
  }
  if (opts.buffer_events < 64) {
    throw usage_error("tether::profiler::start: options.buffer_events is " + std::to_string(opts.buffer_events) +
                      "; use at least 64");
  }
  if (opts.flush_interval.count() <= 0) {
    throw usage_error("tether::profiler::start: options.flush_interval must be positive");
  }
  std::lock_guard control(control_mutex);
  if (current_session.load() != nullptr) {
    throw usage_error("tether::profiler::start: a recording is already running (to " +
                      current_session.load()->path + "); call tether::profiler::stop() first");
  }

  auto s = std::make_unique<session>();
  s->opts = opts;
  s->path = expand_path(opts.path);
  s->pid = ::getpid();
  s->fd = ::open(s->path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (s->fd < 0) {
    throw std::system_error(errno, std::generic_category(), "tether::profiler: cannot create " + s->path);
  }
  s->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (s->wake_fd < 0 || ::pipe2(s->done_pipe, O_CLOEXEC) != 0) {
    const int err = errno;
    close_fd(s->fd);
    close_fd(s->wake_fd);
    throw std::system_error(err, std::generic_category(), "tether::profiler: cannot create the writer's wake-up");
  }

  static const bool tsc = tsc_usable();
  use_tsc.store(tsc, std::memory_order_relaxed);
  s->clock.start();

  std::string header(format::magic, sizeof format::magic);
  for (int i = 0; i < 4; ++i) {
    header.push_back(static_cast<char>((format::version >> (8 * i)) & 0xff));
  }
  std::string info;
  format::put_varint(info, static_cast<std::uint64_t>(s->pid));
  format::put_varint(info, realtime_ns());
  format::put_varint(info, monotonic_ns());
  format::put_varint(info, opts.buffer_events);
  format::put_string(info, tsc ? "tsc (invariant), mapped to CLOCK_MONOTONIC" : "CLOCK_MONOTONIC");
  format::put_string(info, command_line());
  format::put_record(header, format::tag::info, info);
  std::string overflow;
  format::put_varint(overflow, 0);
  format::put_string(overflow, overflow_type_name);
  format::put_record(header, format::tag::type, overflow);
  write_all(*s, header);
  if (s->write_failed) {
    const std::string path = s->path;
    close_fd(s->fd);
    close_fd(s->wake_fd);
    close_fd(s->done_pipe[0]);
    close_fd(s->done_pipe[1]);
    throw std::system_error(EIO, std::generic_category(), "tether::profiler: cannot write " + path);
  }

  s->generation = ++last_generation;
  s->exit_drops_at_start = dropped_at_thread_exit.load();
  {
    ring_registry& r = registry();
    std::lock_guard lock(r.mutex);
    r.rings.clear();
    r.next_index = 0;
    r.capacity = opts.buffer_events;
    r.generation = s->generation;
    r.threads_seen = 0;
    r.retired_dropped = 0;
  }

  session& ref = *s;
  ref.writer = std::thread([&ref] { writer_main(ref); });
  ref.writer_id = ref.writer.native_handle();
  install_exit_paths(from_environment);
  current_session.store(s.release());

  active_generation.store(ref.generation, std::memory_order_release);
  ref.hook = create_hook({
      .init = [](async_id id, std::string_view type, async_id trigger,
                 resource&) { record(format::kind::init, id, trigger, intern_type(type)); },
      .before = [](async_id id) { record(format::kind::before, id); },
      .after = [](async_id id) { record(format::kind::after, id); },
      .destroy = [](async_id id) { record(format::kind::destroy, id); },
      .promise_resolve = [](async_id id) { record(format::kind::promise_resolve, id); },
  });
  ref.hook.enable();
}

stats stop_session(format::end_reason reason, std::string_view message) {
  std::lock_guard control(control_mutex);
  session* s = current_session.load();
  if (s == nullptr || s->pid != ::getpid()) {
    return {};
  }
  if (pthread_equal(pthread_self(), s->writer_id) != 0) {
    return {};  // the writer itself is terminating: nothing can flush
  }
  s->hook.disable();
  active_generation.store(0, std::memory_order_release);
  if (!s->finished.load(std::memory_order_acquire)) {
    s->reason = reason;
    s->message = std::string(message);
    s->stop_requested.store(true, std::memory_order_release);
    wake_writer();
  }
  s->writer.join();

  const stats result = stats_of(*s);
  {
    ring_registry& r = registry();
    std::lock_guard lock(r.mutex);
    r.rings.clear();
    r.generation = 0;
  }
  const std::unique_ptr<session> owner(current_session.exchange(nullptr));
  close_fd(s->fd);
  close_fd(s->wake_fd);
  close_fd(s->done_pipe[0]);
  close_fd(s->done_pipe[1]);
  return result;
}

bool session_running() noexcept {
  const session* s = current_session.load();
  return s != nullptr && s->pid == ::getpid();
}

stats session_stats() noexcept {
  std::lock_guard control(control_mutex);
  const session* s = current_session.load();
  return s != nullptr && s->pid == ::getpid() ? stats_of(*s) : stats{};
}

std::string session_path() {
  std::lock_guard control(control_mutex);
  const session* s = current_session.load();
  return s != nullptr ? s->path : std::string();
}

void wake_writer() noexcept {
  const session* s = current_session.load(std::memory_order_acquire);
  if (s != nullptr) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t ignored = ::write(s->wake_fd, &one, sizeof one);
  }
}

void flush_from_signal(int signo) noexcept {
  session* s = current_session.load(std::memory_order_acquire);
  if (s == nullptr || s->pid != ::getpid() || s->finished.load(std::memory_order_acquire) ||
      pthread_equal(pthread_self(), s->writer_id) != 0) {
    return;
  }
  active_generation.store(0, std::memory_order_release);
  s->signal_requested.store(signo, std::memory_order_release);
  wake_writer();
  // Bounded: a writer stuck on a full disk must not keep the process alive.
  pollfd p{s->done_pipe[0], POLLIN, 0};
  for (int waited = 0; waited < 3000; waited += 100) {
    if (::poll(&p, 1, 100) > 0) {
      break;
    }
  }
}

void set_writer_stall_for_testing(std::chrono::milliseconds stall) noexcept {
  writer_stall_ms.store(stall.count(), std::memory_order_relaxed);
}

// fork() while another thread starts or stops a recording would leave the
// child with control_mutex locked forever: hold it across the fork.
void before_fork() noexcept { control_mutex.lock(); }
void after_fork_in_parent() noexcept { control_mutex.unlock(); }
void after_fork_in_child() noexcept {
  control_mutex.unlock();
  abandon_after_fork();
}

void abandon_after_fork() noexcept {
  // The child has no writer thread; the parent's file is the parent's.
  active_generation.store(0, std::memory_order_relaxed);
  // Leak it: its std::thread names a thread that does not exist here, and
  // destroying a joinable std::thread would terminate.
  current_session.store(nullptr);
}

}  // namespace tether::profiler::detail
