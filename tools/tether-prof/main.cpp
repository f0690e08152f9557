// tether-prof: record a program with tether's profiler and look at the result.
//
//   tether-prof run [-o DIR] -- ./program args...   record, then write
//                                                   DIR/report.html and
//                                                   DIR/trace.perfetto-trace
//   tether-prof report   TRACE [-o report.html]     the HTML report
//   tether-prof perfetto TRACE [-o out.perfetto-trace]
//   tether-prof chrome   TRACE [-o out.json]        Node-style trace events
//   tether-prof summary  TRACE                      a text table per type
//
// TRACE is the file a program wrote with TETHER_PROFILE=<path>.

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "profiler/analysis/outputs.hpp"
#include "profiler/analysis/profile_model.hpp"
#include "profiler/analysis/trace_reader.hpp"
#include "progress.hpp"

extern char** environ;

namespace fs = std::filesystem;
namespace analysis = tether::profiler::analysis;

namespace {

struct common_options {
  std::string progress = "auto";
};

std::ofstream open_output(const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
  }
  return out;
}

analysis::progress_fn progress_to(tether_prof::progress_bar& bar) {
  return [&bar](std::uint64_t done, std::uint64_t total) { bar.update(done, total); };
}

void finish(std::ofstream& out, const std::string& path) {
  out.flush();
  if (!out) {
    throw std::runtime_error("cannot write " + path + ": " + std::strerror(errno));
  }
}

int cmd_report(const std::string& trace, std::string out_path, const common_options& o) {
  if (out_path.empty()) {
    out_path = "report.html";
  }
  tether_prof::progress_bar bar("reading " + trace, o.progress);
  const auto model = analysis::load_model(trace, progress_to(bar));
  std::ofstream out = open_output(out_path);
  analysis::write_html_report(*model, out);
  finish(out, out_path);
  std::cout << "report: " << out_path << "\n";
  return 0;
}

int cmd_perfetto(const std::string& trace, std::string out_path, const common_options& o) {
  if (out_path.empty()) {
    out_path = fs::path(trace).replace_extension(".perfetto-trace").string();
  }
  std::ofstream out = open_output(out_path);
  analysis::perfetto_stats stats;
  const auto writer = analysis::make_perfetto_writer(out, &stats);
  {
    tether_prof::progress_bar bar("converting " + trace, o.progress);
    analysis::read_trace(trace, *writer, progress_to(bar));
  }
  finish(out, out_path);
  std::cout << "perfetto: " << out_path << " (" << stats.packets << " packets; open it in ui.perfetto.dev)\n";
  if (stats.lifetimes_not_drawn != 0) {
    std::cout << "  " << stats.lifetimes_not_drawn
              << " resource lifetimes not drawn (more than 256 of one type alive at once)\n";
  }
  return 0;
}

int cmd_chrome(const std::string& trace, std::string out_path, const common_options& o) {
  if (out_path.empty()) {
    out_path = fs::path(trace).replace_extension(".json").string();
  }
  std::ofstream out = open_output(out_path);
  const auto writer = analysis::make_chrome_json_writer(out);
  {
    tether_prof::progress_bar bar("converting " + trace, o.progress);
    analysis::read_trace(trace, *writer, progress_to(bar));
  }
  finish(out, out_path);
  std::cout << "chrome: " << out_path << " (chrome://tracing, Perfetto UI)\n";
  return 0;
}

int cmd_summary(const std::string& trace, const common_options& o) {
  std::unique_ptr<analysis::profile_model> model;
  {
    tether_prof::progress_bar bar("reading " + trace, o.progress);
    model = analysis::load_model(trace, progress_to(bar));
  }
  analysis::write_summary(*model, std::cout);
  return 0;
}

/// Report and Perfetto trace for one recorded trace, in one read.
void convert_run(const fs::path& trace, const fs::path& html, const fs::path& perfetto, const common_options& o) {
  analysis::profile_model model;
  std::ofstream pout = open_output(perfetto.string());
  analysis::perfetto_stats stats;
  const auto pwriter = analysis::make_perfetto_writer(pout, &stats);
  analysis::trace_fanout both({&model, pwriter.get()});
  {
    tether_prof::progress_bar bar("reading " + trace.filename().string(), o.progress);
    model.file = analysis::read_trace(trace.string(), both, progress_to(bar));
  }
  finish(pout, perfetto.string());
  std::ofstream hout = open_output(html.string());
  analysis::write_html_report(model, hout);
  finish(hout, html.string());
  std::cout << "tether-prof: " << model.events << " events, " << model.resources << " resources, "
            << model.end.dropped << " lost, " << analysis::format_duration(model.duration_ns) << "\n"
            << "  report:   " << html.string() << "\n"
            << "  perfetto: " << perfetto.string() << "\n"
            << "  trace:    " << trace.string() << "\n";
}

int cmd_run(const std::vector<std::string>& command, const std::string& out_dir, std::size_t buffer,
            const common_options& o) {
  if (command.empty()) {
    std::cerr << "tether-prof run: no program given; usage: tether-prof run [-o DIR] -- ./program args...\n";
    return 2;
  }
  fs::create_directories(out_dir);
  // Every process of the run writes its own trace ("%p"); old ones go.
  for (const auto& entry : fs::directory_iterator(out_dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("trace.", 0) == 0 && entry.path().extension() == ".tether") {
      fs::remove(entry.path());
    }
  }
  const std::string pattern = (fs::path(out_dir) / "trace.%p.tether").string();

  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string_view kv = *e;
    if (kv.rfind("TETHER_PROFILE=", 0) != 0 && kv.rfind("TETHER_PROFILE_BUFFER=", 0) != 0) {
      env_storage.emplace_back(kv);
    }
  }
  env_storage.push_back("TETHER_PROFILE=" + pattern);
  if (buffer != 0) {
    env_storage.push_back("TETHER_PROFILE_BUFFER=" + std::to_string(buffer));
  }
  std::vector<char*> envp;
  for (std::string& s : env_storage) {
    envp.push_back(s.data());
  }
  envp.push_back(nullptr);
  std::vector<std::string> args_storage = command;
  std::vector<char*> argv;
  for (std::string& s : args_storage) {
    argv.push_back(s.data());
  }
  argv.push_back(nullptr);

  // Ctrl-C reaches the program (same process group) and ends it with a
  // flushed trace; tether-prof itself stays to write the report.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction old_int {}, old_term {};
  sigaction(SIGINT, &ignore, &old_int);
  sigaction(SIGTERM, &ignore, &old_term);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
  pid_t pid = 0;
  const int err = posix_spawnp(&pid, argv[0], nullptr, &attr, argv.data(), envp.data());
  posix_spawnattr_destroy(&attr);
  if (err != 0) {
    std::cerr << "tether-prof run: cannot start " << command[0] << ": " << std::strerror(err) << "\n";
    return 127;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  const int exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (WIFSIGNALED(status)) {
    std::cerr << "tether-prof run: " << command[0] << " ended by signal " << WTERMSIG(status) << "\n";
  } else if (exit_code != 0) {
    std::cerr << "tether-prof run: " << command[0] << " exited with status " << exit_code << "\n";
  }

  // The program's own trace first, then those of processes it started.
  std::vector<fs::path> traces;
  const fs::path main_trace = fs::path(out_dir) / ("trace." + std::to_string(pid) + ".tether");
  if (fs::exists(main_trace)) {
    traces.push_back(main_trace);
  }
  for (const auto& entry : fs::directory_iterator(out_dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("trace.", 0) == 0 && entry.path().extension() == ".tether" && entry.path() != main_trace) {
      traces.push_back(entry.path());
    }
  }
  if (traces.empty()) {
    std::cerr << "tether-prof run: " << command[0] << " wrote no trace: is it linked with tether::profiler? "
              << "(TETHER_PROFILE=" << pattern << " was set)\n";
    return exit_code != 0 ? exit_code : 1;
  }
  for (const fs::path& trace : traces) {
    const bool main = trace == main_trace;
    const std::string stem = trace.stem().string();  // trace.<pid>
    const std::string suffix = main ? "" : "." + stem.substr(stem.find('.') + 1);
    convert_run(trace, fs::path(out_dir) / ("report" + suffix + ".html"),
                fs::path(out_dir) / ("trace" + suffix + ".perfetto-trace"), o);
  }
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"tether-prof: record async resources with tether's profiler and read the traces"};
  app.require_subcommand(1);
  common_options common;
  app.add_option("--progress", common.progress, "progress bar on stderr: auto (a terminal), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}));

  std::vector<std::string> command;
  std::string run_dir = "tether-prof-out";
  std::size_t buffer = 0;
  CLI::App* run = app.add_subcommand("run", "run a program with TETHER_PROFILE set, then write its report and "
                                            "Perfetto trace");
  run->add_option("-o,--output", run_dir, "directory for the traces and reports")->capture_default_str();
  run->add_option("--buffer", buffer, "events per thread buffer (TETHER_PROFILE_BUFFER)");
  run->add_option("command", command, "the program and its arguments (after --)")->required();

  std::string trace;
  std::string out;
  auto with_trace = [&](CLI::App* sub, const char* out_help) {
    sub->add_option("trace", trace, "a trace written with TETHER_PROFILE")->required()->check(CLI::ExistingFile);
    if (out_help != nullptr) {
      sub->add_option("-o,--output", out, out_help);
    }
  };
  CLI::App* report = app.add_subcommand("report", "write the self-contained HTML report");
  with_trace(report, "the HTML file (default report.html)");
  CLI::App* perfetto = app.add_subcommand("perfetto", "convert to a Perfetto trace (protobuf TrackEvent)");
  with_trace(perfetto, "the output file (default: the trace's name with .perfetto-trace)");
  CLI::App* chrome = app.add_subcommand("chrome", "convert to Chrome trace JSON (Node's async_hooks events)");
  with_trace(chrome, "the output file (default: the trace's name with .json)");
  CLI::App* summary = app.add_subcommand("summary", "print a table per resource type");
  with_trace(summary, nullptr);

  CLI11_PARSE(app, argc, argv);
  try {
    if (run->parsed()) {
      return cmd_run(command, run_dir, buffer, common);
    }
    if (report->parsed()) {
      return cmd_report(trace, out, common);
    }
    if (perfetto->parsed()) {
      return cmd_perfetto(trace, out, common);
    }
    if (chrome->parsed()) {
      return cmd_chrome(trace, out, common);
    }
    if (summary->parsed()) {
      return cmd_summary(trace, common);
    }
  } catch (const std::exception& e) {
    std::cerr << "tether-prof: " << e.what() << "\n";
    return 1;
  }
  return 2;
}
