#pragma once
// Helpers shared by the profiler tests: a scratch directory, a consumer that
// keeps a whole (small) trace in memory, running a helper program with an
// environment, and a workload of known shape.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <tether/async_hooks.hpp>
#include <tether/integration.hpp>

#include "profiler/analysis/trace_reader.hpp"

namespace tether::profiler::test {

/// A fresh directory under the build tree's testing area, removed first.
inline std::filesystem::path scratch_dir(const std::string& name) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::filesystem::path dir = std::filesystem::temp_directory_path() / "tether-profiler-tests" /
                              (std::string(info->test_suite_name()) + "." + info->name() + "." + name + "." +
                               std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

/// Keeps everything read_trace delivers.
struct collected_trace final : analysis::trace_consumer {
  analysis::trace_info info;
  std::vector<analysis::thread_info> threads;
  std::map<std::uint32_t, std::string> types;
  std::vector<analysis::trace_event> events;
  analysis::trace_end end;
  analysis::read_result file;

  void on_info(const analysis::trace_info& i) override { info = i; }
  void on_thread(const analysis::thread_info& t) override { threads.push_back(t); }
  void on_type(std::uint32_t id, std::string_view name) override { types[id] = std::string(name); }
  void on_event(const analysis::trace_event& e) override { events.push_back(e); }
  void on_end(const analysis::trace_end& e) override { end = e; }

  std::string type_of(const analysis::trace_event& e) const {
    auto it = types.find(e.type);
    return it != types.end() ? it->second : "?";
  }
  std::size_t count(format::kind k) const {
    std::size_t n = 0;
    for (const auto& e : events) n += e.kind == k ? 1u : 0u;
    return n;
  }
};

inline collected_trace read_all(const std::filesystem::path& path) {
  collected_trace t;
  t.file = analysis::read_trace(path.string(), t);
  return t;
}

struct process_result {
  int exit_code = -1;  // WEXITSTATUS, or -1 when signalled
  int signal = 0;
  std::string output;  // stdout + stderr
};

/// Runs argv with `env` added to this process's environment; captures output.
/// With `kill_signal`, sends it once `ready()` holds (polled every 10 ms, at
/// most 20 s; by default: the program printed "ready"), so a slow start
/// under a sanitizer or a loaded machine cannot race the signal.
inline process_result run_process(const std::vector<std::string>& argv, const std::vector<std::string>& env,
                                  const std::filesystem::path& output_file, int kill_signal = 0,
                                  std::function<bool()> ready = {}) {
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string kv = *e;
    if (kv.rfind("TETHER_PROFILE", 0) != 0) env_storage.push_back(kv);
  }
  for (const auto& e : env) env_storage.push_back(e);
  std::vector<char*> envp;
  for (auto& s : env_storage) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> argp;
  for (auto& s : args) argp.push_back(s.data());
  argp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, output_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  pid_t pid = 0;
  const int err = posix_spawn(&pid, argp[0], &actions, nullptr, argp.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  process_result r;
  if (err != 0) {
    r.output = "spawn failed: " + std::to_string(err);
    return r;
  }
  if (kill_signal != 0) {
    if (!ready) {
      ready = [&] {
        std::ifstream out(output_file);
        const std::string text((std::istreambuf_iterator<char>(out)), std::istreambuf_iterator<char>());
        return text.find("ready") != std::string::npos;
      };
    }
    for (int waited = 0; waited < 20'000 && !ready(); waited += 10) {
      ::usleep(10'000);
    }
    ::kill(pid, kill_signal);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  std::ifstream in(output_file);
  std::stringstream ss;
  ss << in.rdbuf();
  r.output = ss.str();
  return r;
}

/// Runs a shell command; returns its stdout and stderr, and its status.
inline std::string run_shell(const std::string& cmd, int& status) {
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  std::string out;
  char buf[65536];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  status = ::pclose(p);
  return out;
}

/// A minimal resource for workloads (what a runtime's operation looks like).
struct op : resource {
  explicit op(std::string_view type, async_id trigger = 0) { emit_init(*this, type, trigger); }
};

/// One resource's life: init, `callbacks` x before/after, destroy.
inline void one_life(std::string_view type, int callbacks = 1) {
  op o(type);
  for (int i = 0; i < callbacks; ++i) {
    callback_scope scope(o);
  }
  emit_destroy(o);
}

}  // namespace tether::profiler::test
