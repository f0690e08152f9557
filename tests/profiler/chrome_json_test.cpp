// The Chrome JSON output has the shape of Node's own node.async_hooks trace
// events: checked against a trace Node writes in the same test run.

#include <cstdio>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "profiler/analysis/outputs.hpp"
#include "workload.hpp"

namespace tether::profiler::test {
namespace {

TEST(ProfilerChromeJson, HasTheShapeOfNodesAsyncHooksTraceEvents) {
  int status = 0;
  run_shell("node --version", status);
  if (status != 0) GTEST_SKIP() << "node is not installed: cannot produce Node's reference trace";
  const auto dir = scratch_dir("chrome");
  const workload_counts c = record_workload(dir / "t.tether");
  {
    std::ofstream out(dir / "ours.json");
    const auto writer = analysis::make_chrome_json_writer(out);
    analysis::read_trace((dir / "t.tether").string(), *writer);
  }
  // Node's reference: a timer, a promise, an immediate and an fs call.
  std::ofstream(dir / "ref.js") << "const fs = require('fs');\n"
                                   "setTimeout(() => { Promise.resolve(1).then(() => { setImmediate(() => {"
                                   " fs.stat(__filename, () => {}); }); }); }, 1);\n";
  const std::string node_out = run_shell("cd " + dir.string() + " && node --trace-event-categories node.async_hooks "
                                   "--trace-event-file-pattern node_trace.json ref.js", status);
  ASSERT_EQ(status, 0) << node_out;
  const std::string check = run_shell(std::string("node ") + TETHER_PROFILER_TEST_DIR + "/chrome_shape_check.js " +
                                    (dir / "ours.json").string() + " " + (dir / "node_trace.json").string(),
                                status);
  EXPECT_EQ(status, 0) << check;
  EXPECT_THAT(check, ::testing::HasSubstr("ok init=" + std::to_string(c.inits) + " before=" +
                                          std::to_string(c.befores) + " after=" + std::to_string(c.afters) +
                                          " destroy=" + std::to_string(c.destroys)));
}

}  // namespace
}  // namespace tether::profiler::test
