// Zero-code activation and the exit paths, on real processes: a program
// with no profiler code records when TETHER_PROFILE is set, and its trace is
// complete after a normal exit, an uncaught exception and SIGTERM. Then
// tether-prof run on it.

#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "profiler_test_support.hpp"

namespace tether::profiler::test {
namespace {

using ::testing::HasSubstr;
using format::kind;

std::size_t inits_of(const collected_trace& t, std::string_view type) {
  std::size_t n = 0;
  for (const auto& e : t.events) n += e.kind == kind::init && t.type_of(e) == type ? 1u : 0u;
  return n;
}

TEST(ProfilerAutostart, AProgramWithNoProfilerCodeRecordsWhenTheVariableIsSet) {
  const auto dir = scratch_dir("nocode");
  const auto r = run_process({TETHER_TEST_NO_CODE, "5"}, {"TETHER_PROFILE=" + (dir / "t.%p.tether").string()},
                             dir / "out.txt");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  std::vector<std::filesystem::path> traces;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".tether") traces.push_back(e.path());
  }
  ASSERT_EQ(traces.size(), 1u) << "TETHER_PROFILE did not start the recorder (was autostart.cpp linked?)";
  const collected_trace t = read_all(traces[0]);
  EXPECT_EQ(inits_of(t, "NoCode"), 5u);
  EXPECT_EQ(inits_of(t, "NoCodeInner"), 5u);
  EXPECT_EQ(t.count(kind::destroy), 10u);
  EXPECT_TRUE(t.end.present);
  EXPECT_EQ(t.end.reason, format::end_reason::exited);
  EXPECT_THAT(t.info.command, HasSubstr("no_code"));
  EXPECT_EQ(traces[0].filename().string(), "t." + std::to_string(t.info.pid) + ".tether");
}

TEST(ProfilerAutostart, WithoutTheVariableNothingIsWritten) {
  const auto dir = scratch_dir("off");
  const auto r = run_process({TETHER_TEST_NO_CODE}, {}, dir / "out.txt");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);  // out.txt only
}

TEST(ProfilerAutostart, AnUnwritablePathIsReportedAndTheProgramStillRuns) {
  const auto dir = scratch_dir("badpath");
  const auto r = run_process({TETHER_TEST_NO_CODE}, {"TETHER_PROFILE=" + (dir / "missing" / "t").string()},
                             dir / "out.txt");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.output, HasSubstr("running without profiling"));
}

TEST(ProfilerAutostart, AnUncaughtExceptionStillFlushesTheTraceWithItsMessage) {
  const auto dir = scratch_dir("uncaught");
  const auto r = run_process({TETHER_TEST_UNCAUGHT}, {"TETHER_PROFILE=" + (dir / "t.tether").string()},
                             dir / "out.txt");
  EXPECT_EQ(r.signal, SIGABRT) << r.output;
  const collected_trace t = read_all(dir / "t.tether");
  ASSERT_TRUE(t.end.present) << "no end record: the terminate path did not flush";
  EXPECT_EQ(t.end.reason, format::end_reason::terminated);
  EXPECT_THAT(t.end.message, HasSubstr("boom from a callback"));
  EXPECT_EQ(inits_of(t, "Timeout"), 1u);
  EXPECT_EQ(inits_of(t, "Immediate"), 1u);
  EXPECT_GE(t.count(kind::before), 2u);  // the timer's and the throwing immediate's
}

TEST(ProfilerAutostart, SigtermFlushesThenEndsTheProgramAsBefore) {
  const auto dir = scratch_dir("sigterm");
  const auto r = run_process({TETHER_TEST_NO_CODE, "--sleep"}, {"TETHER_PROFILE=" + (dir / "t.tether").string()},
                             dir / "out.txt", SIGTERM);
  EXPECT_EQ(r.signal, SIGTERM) << r.output;  // the default action still happens
  const collected_trace t = read_all(dir / "t.tether");
  ASSERT_TRUE(t.end.present);
  EXPECT_EQ(t.end.reason, format::end_reason::signal);
  EXPECT_EQ(inits_of(t, "NoCodePending"), 1u);
}

TEST(ProfilerAutostart, AKilledProgramLeavesAReadableTrace) {
  const auto dir = scratch_dir("sigkill");
  // Killed once a writer pass has put the pending resource in the file.
  const auto r = run_process({TETHER_TEST_NO_CODE, "--sleep"}, {"TETHER_PROFILE=" + (dir / "t.tether").string()},
                             dir / "out.txt", SIGKILL, [&] {
                               try {
                                 return inits_of(read_all(dir / "t.tether"), "NoCodePending") == 1;
                               } catch (const analysis::trace_error&) {
                                 return false;  // not created yet
                               }
                             });
  EXPECT_EQ(r.signal, SIGKILL);
  const collected_trace t = read_all(dir / "t.tether");
  EXPECT_FALSE(t.end.present);
  EXPECT_EQ(inits_of(t, "NoCodePending"), 1u);  // what the writer had written stays readable
}

TEST(ProfilerCli, RunRecordsTheProgramAndWritesTheReportAndPerfettoTrace) {
  const auto dir = scratch_dir("cli");
  const auto out = dir / "run";
  const auto r = run_process({TETHER_PROF_EXE, "--progress", "always", "run", "-o", out.string(), "--",
                              TETHER_TEST_NO_CODE, "7"},
                             {}, dir / "out.txt");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_THAT(r.output, HasSubstr("report:   " + (out / "report.html").string()));
  EXPECT_THAT(r.output, HasSubstr("100%"));
  EXPECT_GT(std::filesystem::file_size(out / "report.html"), 10'000u);
  EXPECT_GT(std::filesystem::file_size(out / "trace.perfetto-trace"), 100u);

  std::filesystem::path trace;
  for (const auto& e : std::filesystem::directory_iterator(out)) {
    if (e.path().extension() == ".tether") trace = e.path();
  }
  ASSERT_FALSE(trace.empty());
  const auto summary = run_process({TETHER_PROF_EXE, "summary", trace.string()}, {}, dir / "summary.txt");
  ASSERT_EQ(summary.exit_code, 0) << summary.output;
  EXPECT_THAT(summary.output, ::testing::ContainsRegex("NoCode +7 +7 "));
  EXPECT_THAT(summary.output, HasSubstr("no events lost"));
}

TEST(ProfilerCli, RunPassesTheProgramsExitStatusAndSaysWhenThereIsNoTrace) {
  const auto dir = scratch_dir("cli-fail");
  const auto r = run_process({TETHER_PROF_EXE, "run", "-o", (dir / "run").string(), "--", "/bin/sh", "-c", "exit 3"},
                             {}, dir / "out.txt");
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_THAT(r.output, HasSubstr("wrote no trace"));
}

TEST(ProfilerCli, ANonTraceFileGetsAClearError) {
  const auto dir = scratch_dir("cli-bad");
  std::ofstream(dir / "x.tether") << "hello";
  const auto r = run_process({TETHER_PROF_EXE, "summary", (dir / "x.tether").string()}, {}, dir / "out.txt");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("not a tether trace"));
}

}  // namespace
}  // namespace tether::profiler::test
