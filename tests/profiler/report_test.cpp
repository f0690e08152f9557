// The HTML report: its data (never NaN, recursion folded, nothing-recorded
// said plainly) and, in real headless Chromium, what a person sees.

#include <cstdio>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "profiler/analysis/outputs.hpp"
#include "workload.hpp"

namespace tether::profiler::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(ProfilerReport, BubblesFoldRecursionAndCountEveryResource) {
  const auto dir = scratch_dir("model");
  const workload_counts c = record_workload(dir / "t.tether");
  const auto m = analysis::load_model((dir / "t.tether").string());
  EXPECT_EQ(m->resources, c.inits);
  EXPECT_EQ(m->callbacks, c.befores);
  EXPECT_EQ(m->pending_total, 1u);
  ASSERT_EQ(m->pending.size(), 1u);
  EXPECT_EQ(m->pending[0].id, c.pending_id);
  // top level -> Pending, Server -> Request -> Chain (the nested Chain folds
  // into its parent), Handoff (created inside a Request's callback).
  std::map<std::string, std::uint64_t> by_name;
  for (const auto& b : m->nodes) {
    if (!b.root) by_name[m->type_name(b.type)] += 1;
  }
  EXPECT_EQ(by_name, (std::map<std::string, std::uint64_t>{
                         {"Chain", 1}, {"Handoff", 1}, {"Pending", 1}, {"Request", 1}, {"Server", 1}}));
  for (const auto& b : m->nodes) {
    if (!b.root && m->type_name(b.type) == "Chain") {
      EXPECT_EQ(b.resources, 40u);
    }
  }
  const std::string json = analysis::report_json(*m);
  EXPECT_THAT(json, Not(HasSubstr("nan")));
  EXPECT_THAT(json, Not(HasSubstr("inf")));
}

TEST(ProfilerReport, ARunThatRecordedNothingSaysSo) {
  const auto dir = scratch_dir("empty");
  start({.path = (dir / "t.tether").string()});
  stop();
  const auto m = analysis::load_model((dir / "t.tether").string());
  EXPECT_EQ(m->resources, 0u);
  std::ostringstream summary;
  analysis::write_summary(*m, summary);
  EXPECT_THAT(summary.str(), HasSubstr("Nothing was recorded"));
  std::ostringstream html;
  analysis::write_html_report(*m, html);
  EXPECT_THAT(html.str(), HasSubstr("Nothing was recorded"));  // in report.js, shown when resources == 0
  EXPECT_THAT(html.str(), HasSubstr("\"resources\":0"));
}

// Debian's chromium, headless, through playwright-core (npm, installed into
// the build tree on first use).
TEST(ProfilerReportBrowser, RendersTheCountsFiltersOnClickAndLogsNothing) {
  if (!std::filesystem::exists("/usr/bin/chromium")) {
    GTEST_SKIP() << "/usr/bin/chromium is not installed (apt-get install chromium): skipping the browser test";
  }
  int status = 0;
  const std::filesystem::path npm_dir = std::filesystem::path(TETHER_BUILD_DIR) / "npm-profiler";
  if (!std::filesystem::exists(npm_dir / "node_modules" / "playwright-core")) {
    std::filesystem::create_directories(npm_dir);
    const std::string out = run_shell("cd " + npm_dir.string() +
                                    " && npm install --no-audit --no-fund --silent playwright-core@1.65.2",
                                status);
    ASSERT_EQ(status, 0) << "npm install playwright-core failed:\n" << out;
  }
  const std::filesystem::path out_dir = std::filesystem::path(TETHER_BUILD_DIR) / "profiler-report";
  std::filesystem::create_directories(out_dir);
  const auto dir = scratch_dir("browser");
  record_workload(dir / "t.tether", true);  // with a loss, so the warning shows too
  const auto m = analysis::load_model((dir / "t.tether").string());
  {
    std::ofstream html(out_dir / "report.html");
    analysis::write_html_report(*m, html);
  }
  const std::string out = run_shell("NODE_PATH=" + (npm_dir / "node_modules").string() + " node " +
                                  TETHER_PROFILER_TEST_DIR + "/report_check.js " + (out_dir / "report.html").string() +
                                  " " + (out_dir / "report.png").string(),
                              status);
  EXPECT_EQ(status, 0) << out;
  EXPECT_THAT(out, HasSubstr("ok bubbles="));
  EXPECT_TRUE(std::filesystem::exists(out_dir / "report.png"));
  std::printf("%s(screenshot: %s)\n", out.c_str(), (out_dir / "report.png").c_str());
}

}  // namespace
}  // namespace tether::profiler::test
