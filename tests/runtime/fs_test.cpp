// fs: one FSREQCALLBACK per libuv request, Node's readFile chain, errors as
// error_codes in the libuv category. Node: test/async-hooks/
// test-fsreqcallback-readFile.js, test-graph.fsreq-readFile.js,
// test-fsreqcallback-access.js; parallel/test-fs-*.js for the operations;
// the setImmediate-before-setTimeout rule inside an I/O callback from
// Node's "The Node.js Event Loop" guide.
#include <tether/fs.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/async_local_storage.hpp>
#include <tether/event_loop.hpp>
#include <tether/promise.hpp>
#include <tether/timers.hpp>
#include <tether/uv_error.hpp>

#include "runtime/loop_fixture.hpp"

namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using tether::async_id;
using tether::execution_async_id;
using tether::trigger_async_id;
using tether::test::invocation_counts;
namespace fs = tether::fs;

constexpr std::string_view fsreq = "FSREQCALLBACK";

class Fs : public tether::test::loop_fixture {
 protected:
  void SetUp() override {
    std::string tmpl = (std::filesystem::temp_directory_path() / "tether-fs-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    loop_fixture::SetUp();
  }
  void TearDown() override {
    loop_fixture::TearDown();
    std::error_code ignored;
    std::filesystem::permissions(dir_, std::filesystem::perms::all, ignored);
    std::filesystem::remove_all(dir_, ignored);
  }

  std::string path(std::string_view name) const { return (dir_ / name).string(); }

  std::string put(std::string_view name, const std::string& content) const {
    const std::string p = path(name);
    std::ofstream(p, std::ios::binary) << content;
    return p;
  }

  static std::string slurp(const std::string& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  }

  /// The FSREQCALLBACK ids recorded so far, in init order.
  std::vector<async_id> fs_ids() {
    std::vector<async_id> ids;
    for (const auto& a : rec().activities_of_type(fsreq)) {
      ids.push_back(a.id);
    }
    return ids;
  }

  std::filesystem::path dir_;
};

// --- resources and hooks ------------------------------------------------------

TEST_F(Fs, StatIsOneFsReqCallback) {
  const std::string p = put("a.txt", "hello");
  async_id in_cb = 0;
  async_id in_cb_trigger = 0;
  std::string type;
  std::optional<fs::stat_result> st;
  fs::stat(p, [&](std::error_code ec, fs::stat_result r) {
    mark("cb");
    EXPECT_FALSE(ec) << ec.message();
    st = r;
    in_cb = execution_async_id();
    in_cb_trigger = trigger_async_id();
    type = std::string(tether::execution_async_resource().type());
  });
  const async_id id = last_id(fsreq);
  ASSERT_NE(id, 0u);
  EXPECT_THAT(log(), ElementsAre(init(fsreq, id, top())));  // init is synchronous
  EXPECT_EQ(loop().run(), 0);
  EXPECT_THAT(log(), ElementsAre(init(fsreq, id, top()), before(id), "cb", after(id), destroy(id)));
  EXPECT_EQ(in_cb, id);
  EXPECT_EQ(in_cb_trigger, top());
  EXPECT_EQ(type, fsreq);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->size, 5u);
  EXPECT_TRUE(st->is_file);
  EXPECT_FALSE(st->is_directory);
  EXPECT_TRUE(S_ISREG(st->mode));
  const auto age = std::chrono::system_clock::now() - st->mtime;
  EXPECT_LT(std::chrono::abs(age), std::chrono::minutes(5));
}

// Node B.21 (test-fsreqcallback-readFile.js): open, fstat, read, close, each
// triggered by the previous one; the callback runs inside the last one's
// before/after, every earlier one already destroyed.
TEST_F(Fs, ReadFileIsFourChainedRequests) {
  const std::string p = put("a.txt", "hello, tether");
  std::string got;
  async_id in_cb = 0;
  async_id in_cb_trigger = 0;
  fs::read_file(p, [&](std::error_code ec, std::string data) {
    mark("cb");
    EXPECT_FALSE(ec) << ec.message();
    got = std::move(data);
    in_cb = execution_async_id();
    in_cb_trigger = trigger_async_id();
  });
  loop().run();
  EXPECT_EQ(got, "hello, tether");
  const std::vector<async_id> ids = fs_ids();
  ASSERT_EQ(ids.size(), 4u);
  const async_id open = ids[0], fstat = ids[1], read = ids[2], close = ids[3];
  EXPECT_THAT(log(), ElementsAre(init(fsreq, open, top()),                         //
                                 before(open), init(fsreq, fstat, open), after(open),  //
                                 destroy(open),                                    //
                                 before(fstat), init(fsreq, read, fstat), after(fstat),
                                 destroy(fstat),  //
                                 before(read), init(fsreq, close, read), after(read),
                                 destroy(read),  //
                                 before(close), "cb", after(close), destroy(close)));
  EXPECT_EQ(in_cb, close);
  EXPECT_EQ(in_cb_trigger, read);
  for (const async_id id : ids) {
    EXPECT_EQ(rec().invocations(id),
              (invocation_counts{.init = 1, .before = 1, .after = 1, .destroy = 1}));
  }
}

TEST_F(Fs, ReadFileOfAnEmptyFileStillReadsOnce) {
  const std::string p = put("empty", "");
  std::optional<std::string> got;
  fs::read_file(p, [&](std::error_code ec, std::string data) {
    EXPECT_FALSE(ec);
    got = std::move(data);
  });
  loop().run();
  EXPECT_EQ(got, "");
  EXPECT_EQ(fs_ids().size(), 4u);  // open, fstat, read (EOF), close
}

// 1.25 MiB: three 512 KiB reads, each its own request in the chain.
TEST_F(Fs, ReadFileOfALargeFileReadsInChunks) {
  std::string content(std::size_t{1280} * 1024, '\0');
  for (std::size_t i = 0; i < content.size(); ++i) {
    content[i] = static_cast<char>('a' + i % 26);
  }
  const std::string p = put("big", content);
  std::string got;
  fs::read_file(p, [&](std::error_code ec, std::string data) {
    EXPECT_FALSE(ec);
    got = std::move(data);
  });
  loop().run();
  EXPECT_EQ(got, content);
  const auto acts = rec().activities_of_type(fsreq);
  ASSERT_EQ(acts.size(), 6u);  // open, fstat, 3 x read, close
  for (std::size_t i = 1; i < acts.size(); ++i) {
    EXPECT_EQ(acts[i].trigger, acts[i - 1].id);
  }
}

// procfs files report size 0: read in chunks until EOF.
TEST_F(Fs, ReadFileOfAFileWithoutASizeReadsUntilEof) {
  std::string got;
  fs::read_file("/proc/self/status", [&](std::error_code ec, std::string data) {
    EXPECT_FALSE(ec) << ec.message();
    got = std::move(data);
  });
  loop().run();
  EXPECT_THAT(got, HasSubstr("Name:"));
}

TEST_F(Fs, WriteFileIsAChainToo) {
  const std::string p = path("out.txt");
  std::error_code result = make_error_code(std::errc::interrupted);
  async_id in_cb = 0;
  fs::write_file(p, "written", [&](std::error_code ec) {
    result = ec;
    in_cb = execution_async_id();
  });
  loop().run();
  EXPECT_FALSE(result);
  EXPECT_EQ(slurp(p), "written");
  const std::vector<async_id> ids = fs_ids();
  ASSERT_EQ(ids.size(), 3u);  // open, write, close
  EXPECT_EQ(in_cb, ids.back());
  const auto acts = rec().activities_of_type(fsreq);
  EXPECT_EQ(acts[0].trigger, top());
  EXPECT_EQ(acts[1].trigger, acts[0].id);
  EXPECT_EQ(acts[2].trigger, acts[1].id);
}

TEST_F(Fs, NestedRequestsAreTriggeredByTheCallbackTheyWereMadeIn) {
  const std::string p = put("a.txt", "x");
  async_id outer = 0;
  async_id inner_trigger = 0;
  fs::stat(p, [&](std::error_code, fs::stat_result) {
    outer = execution_async_id();
    fs::stat(p, [&](std::error_code, fs::stat_result) { inner_trigger = trigger_async_id(); });
  });
  loop().run();
  EXPECT_NE(outer, 0u);
  EXPECT_EQ(inner_trigger, outer);
}

// --- every operation ----------------------------------------------------------

TEST_F(Fs, EveryOperationSucceedsOnATempDir) {
  const std::string sub = path("sub");
  const std::string file = sub + "/f.txt";
  const std::string moved = sub + "/g.txt";
  std::vector<std::string> steps;
  auto ok = [&](const char* what, std::error_code ec) {
    EXPECT_FALSE(ec) << what << ": " << ec.message();
    steps.emplace_back(what);
  };

  fs::mkdir(sub, [&](std::error_code ec) {
    ok("mkdir", ec);
    fs::write_file(file, "0123456789", [&](std::error_code ec2) {
      ok("write_file", ec2);
      fs::open(file, O_RDWR, 0, [&](std::error_code ec3, int fd) {
        ok("open", ec3);
        ASSERT_GE(fd, 0);
        fs::read(fd, 4, 2, [&, fd](std::error_code ec4, std::string data) {
          ok("read", ec4);
          EXPECT_EQ(data, "2345");
          fs::write(fd, "AB", 0, [&, fd](std::error_code ec5, std::size_t n) {
            ok("write", ec5);
            EXPECT_EQ(n, 2u);
            fs::fstat(fd, [&, fd](std::error_code ec6, fs::stat_result st) {
              ok("fstat", ec6);
              EXPECT_EQ(st.size, 10u);
              fs::close(fd, [&](std::error_code ec7) {
                ok("close", ec7);
                fs::rename(file, moved, [&](std::error_code ec8) {
                  ok("rename", ec8);
                  fs::readdir(sub, [&](std::error_code ec9, std::vector<fs::dir_entry> entries) {
                    ok("readdir", ec9);
                    EXPECT_THAT(entries,
                                ElementsAre(fs::dir_entry{"g.txt", fs::entry_type::file}));
                    fs::read_file(moved, [&](std::error_code ec10, std::string data2) {
                      ok("read_file", ec10);
                      EXPECT_EQ(data2, "AB23456789");
                      fs::unlink(moved, [&](std::error_code ec11) { ok("unlink", ec11); });
                    });
                  });
                });
              });
            });
          });
        });
      });
    });
  });
  loop().run();
  EXPECT_THAT(steps, ElementsAre("mkdir", "write_file", "open", "read", "write", "fstat", "close",
                                 "rename", "readdir", "read_file", "unlink"));
  EXPECT_FALSE(std::filesystem::exists(moved));
  EXPECT_TRUE(std::filesystem::is_directory(sub));
}

TEST_F(Fs, ReaddirListsSortedEntriesWithTheirTypes) {
  put("b.txt", "");
  put("a.txt", "");
  std::filesystem::create_directory(path("c"));
  std::filesystem::create_symlink(path("a.txt"), path("d"));
  std::vector<fs::dir_entry> got;
  fs::readdir(dir_.string(), [&](std::error_code ec, std::vector<fs::dir_entry> entries) {
    EXPECT_FALSE(ec);
    got = std::move(entries);
  });
  loop().run();
  EXPECT_THAT(got, ElementsAre(fs::dir_entry{"a.txt", fs::entry_type::file},
                               fs::dir_entry{"b.txt", fs::entry_type::file},
                               fs::dir_entry{"c", fs::entry_type::directory},
                               fs::dir_entry{"d", fs::entry_type::symlink}));
  EXPECT_TRUE(got[2].is_directory());
  EXPECT_TRUE(got[0].is_file());
}

TEST_F(Fs, ReadAtEndOfFileGivesAnEmptyString) {
  const std::string p = put("a.txt", "abc");
  std::optional<std::string> got;
  fs::open(p, O_RDONLY, 0, [&](std::error_code ec, int fd) {
    ASSERT_FALSE(ec);
    fs::read(fd, 16, 3, [&, fd](std::error_code ec2, std::string data) {
      EXPECT_FALSE(ec2);
      got = std::move(data);
      fs::close(fd, [](std::error_code) {});
    });
  });
  loop().run();
  EXPECT_EQ(got, "");
}

// --- errors -------------------------------------------------------------------

TEST_F(Fs, MissingFileIsEnoentAndTheLoopStaysUsable) {
  const std::string missing = path("nope");
  std::error_code read_ec;
  std::optional<std::string> read_data;
  std::error_code stat_ec;
  fs::read_file(missing, [&](std::error_code ec, std::string data) {
    read_ec = ec;
    read_data = std::move(data);
  });
  fs::stat(missing, [&](std::error_code ec, fs::stat_result) { stat_ec = ec; });
  loop().run();
  EXPECT_EQ(read_ec, std::errc::no_such_file_or_directory);
  EXPECT_EQ(read_ec.category(), tether::uv_category());
  EXPECT_EQ(read_ec.message(), "no such file or directory (ENOENT)");
  EXPECT_EQ(read_data, "");
  EXPECT_EQ(stat_ec, std::errc::no_such_file_or_directory);
  // read_file failed at open: one request, the callback ran in its scope.
  const auto acts = rec().activities_of_type(fsreq);
  ASSERT_EQ(acts.size(), 2u);

  // The same loop keeps working.
  bool again = false;
  const std::string p = put("there", "y");
  fs::read_file(p, [&](std::error_code ec, std::string data) {
    EXPECT_FALSE(ec);
    EXPECT_EQ(data, "y");
    again = true;
  });
  loop().run();
  EXPECT_TRUE(again);
}

// Failures that hold even for root (the tests may run as root, who bypasses
// permission bits).
TEST_F(Fs, FailuresThatHoldEvenForRoot) {
  const std::string file = put("f", "data");
  std::vector<std::error_code> got(8);
  fs::open(dir_.string(), O_WRONLY, 0, [&](std::error_code ec, int fd) {
    got[0] = ec;
    EXPECT_EQ(fd, -1);  // never a valid descriptor on failure
  });
  fs::mkdir(dir_.string(), [&](std::error_code ec) { got[1] = ec; });
  fs::read_file(dir_.string(), [&](std::error_code ec, std::string) { got[2] = ec; });
  fs::readdir(file, [&](std::error_code ec, std::vector<fs::dir_entry>) { got[3] = ec; });
  fs::unlink(path("missing"), [&](std::error_code ec) { got[4] = ec; });
  fs::rename(path("missing"), path("other"), [&](std::error_code ec) { got[5] = ec; });
  fs::close(987654, [&](std::error_code ec) { got[6] = ec; });
  fs::write_file(path("no/such/dir/f"), "x", [&](std::error_code ec) { got[7] = ec; });
  loop().run();
  EXPECT_EQ(got[0], std::errc::is_a_directory);
  EXPECT_EQ(got[1], std::errc::file_exists);
  EXPECT_EQ(got[2], std::errc::is_a_directory);  // open succeeds, read fails, close still runs
  EXPECT_EQ(got[3], std::errc::not_a_directory);
  EXPECT_EQ(got[4], std::errc::no_such_file_or_directory);
  EXPECT_EQ(got[5], std::errc::no_such_file_or_directory);
  EXPECT_EQ(got[6], std::errc::bad_file_descriptor);
  EXPECT_EQ(got[7], std::errc::no_such_file_or_directory);
  EXPECT_EQ(tether::uv_error_name(got[1]), "EEXIST");
}

TEST_F(Fs, ReadFileOfADirectoryClosesItAndReportsTheRead) {
  std::error_code got;
  async_id in_cb = 0;
  fs::read_file(dir_.string(), [&](std::error_code ec, std::string) {
    got = ec;
    in_cb = execution_async_id();
  });
  loop().run();
  EXPECT_EQ(got, std::errc::is_a_directory);
  const std::vector<async_id> ids = fs_ids();
  ASSERT_EQ(ids.size(), 4u);  // open, fstat, read (EISDIR), close
  EXPECT_EQ(in_cb, ids.back());
}

TEST_F(Fs, PermissionDenied) {
  if (::geteuid() == 0) {
    GTEST_SKIP() << "running as root: permission bits are not enforced";
  }
  const std::string p = put("secret", "x");
  ::chmod(p.c_str(), 0);
  std::error_code got;
  fs::read_file(p, [&](std::error_code ec, std::string) { got = ec; });
  loop().run();
  EXPECT_EQ(got, std::errc::permission_denied);
  EXPECT_EQ(got.message(), "permission denied (EACCES)");
}

TEST_F(Fs, AThrowingCallbackStopsRunAndTheLoopCarriesOn) {
  const std::string p = put("a.txt", "x");
  bool second = false;
  fs::stat(p, [](std::error_code, fs::stat_result) { throw std::runtime_error("boom"); });
  fs::stat(p, [&](std::error_code, fs::stat_result) { second = true; });
  EXPECT_THROW(loop().run(), std::runtime_error);
  loop().run();
  EXPECT_TRUE(second);
}

// --- uv_error -----------------------------------------------------------------

TEST(UvError, WhatNamesTheCallThePathAndTheError) {
  const tether::uv_error e(tether::make_uv_error_code(-ENOENT), "open", "/nope");
  EXPECT_STREQ(e.what(), "open '/nope': no such file or directory (ENOENT)");
  EXPECT_EQ(e.code(), std::errc::no_such_file_or_directory);
  EXPECT_EQ(e.syscall(), "open");
  EXPECT_EQ(e.path(), "/nope");

  const tether::uv_error r(tether::make_uv_error_code(-ENOENT), "rename", "/a", "/b");
  EXPECT_STREQ(r.what(), "rename '/a' -> '/b': no such file or directory (ENOENT)");
  EXPECT_EQ(r.dest(), "/b");

  const tether::uv_error c(tether::make_uv_error_code(-EBADF), "close");
  EXPECT_STREQ(c.what(), "close: bad file descriptor (EBADF)");

  const std::system_error& as_std = r;  // catchable as std::system_error
  const tether::uv_error copy = r;
  EXPECT_STREQ(copy.what(), as_std.what());
}

TEST(UvError, CategoryAndConversion) {
  EXPECT_STREQ(tether::uv_category().name(), "libuv");
  EXPECT_FALSE(tether::make_uv_error_code(0));
  EXPECT_FALSE(tether::make_uv_error_code(42));  // non-negative results are not errors
  const std::error_code eexist = tether::make_uv_error_code(-EEXIST);
  EXPECT_EQ(eexist.value(), -EEXIST);
  EXPECT_EQ(eexist, std::errc::file_exists);
  EXPECT_NE(eexist, std::errc::no_such_file_or_directory);
  // libuv's own codes are not errno values.
  const std::error_code eof = tether::make_uv_error_code(-4095);  // UV_EOF
  EXPECT_EQ(eof.message(), "end of file (EOF)");
  EXPECT_EQ(tether::uv_error_name(eof), "EOF");
  EXPECT_EQ(eof.default_error_condition().category(), tether::uv_category());
  EXPECT_THAT(tether::make_uv_error_code(-123456).message(), HasSubstr("Unknown system error"));
  EXPECT_EQ(tether::uv_error_name(std::make_error_code(std::errc::file_exists)),
            std::make_error_code(std::errc::file_exists).message());
}

// --- ordering and context -----------------------------------------------------

// Node's event loop guide: inside an I/O callback, setImmediate always runs
// before setTimeout(0) (the check phase comes before the next timers phase).
TEST_F(Fs, ImmediateBeforeTimeoutInsideAnFsCallback) {
  const std::string p = put("a.txt", "x");
  std::vector<std::string> order;
  for (int round = 0; round < 5; ++round) {
    fs::stat(p, [&](std::error_code, fs::stat_result) {
      tether::set_timeout([&] { order.emplace_back("timeout"); });
      tether::set_immediate([&] { order.emplace_back("immediate"); });
    });
    loop().run();
    ASSERT_THAT(order, ElementsAre("immediate", "timeout")) << "round " << round;
    order.clear();
  }
}

TEST_F(Fs, TicksAndMicrotasksRunRightAfterTheCallback) {
  const std::string p = put("a.txt", "x");
  async_id req = 0;
  async_id tick_trigger = 0;
  fs::stat(p, [&](std::error_code, fs::stat_result) {
    req = execution_async_id();
    mark("cb");
    tether::next_tick([&] {
      tick_trigger = trigger_async_id();
      mark("tick");
    });
  });
  loop().run();
  // The request is destroyed before the drain (destroy comes right after
  // its after), then the tick it scheduled runs.
  const std::vector<std::string> l = log();
  const auto at = [&](const std::string& s) { return std::find(l.begin(), l.end(), s) - l.begin(); };
  EXPECT_LT(at("cb"), at(after(req)));
  EXPECT_LT(at(destroy(req)), at("tick"));
  EXPECT_EQ(tick_trigger, req);
}

TEST_F(Fs, StoreFollowsTheWholeReadFileChain) {
  const std::string p = put("a.txt", "ctx");
  tether::async_local_storage<int> als;
  std::vector<int> seen;
  auto look = [&] {
    const int* s = als.get_store();
    seen.push_back(s != nullptr ? *s : -1);
  };
  als.run(7, [&] {
    fs::read_file(p, [&](std::error_code, std::string) {
      look();
      fs::stat(p, [&](std::error_code, fs::stat_result) {
        look();
        fs::write_file(path("b.txt"), "x", [&](std::error_code) { look(); });
      });
    });
  });
  als.run(8, [&] { fs::stat(p, [&](std::error_code, fs::stat_result) { look(); }); });
  fs::stat(p, [&](std::error_code, fs::stat_result) { look(); });
  loop().run();
  ASSERT_EQ(seen.size(), 5u);
  std::sort(seen.begin(), seen.end());
  EXPECT_THAT(seen, ElementsAre(-1, 7, 7, 7, 8));
}

// --- promise forms ------------------------------------------------------------

namespace fsp = tether::fs::promises;
constexpr std::string_view fsreq_promise = "FSREQPROMISE";

TEST_F(Fs, PromisesEveryOperation) {
  const std::string sub = path("sub");
  const std::string file = sub + "/f.txt";
  const std::string moved = sub + "/g.txt";
  std::vector<std::string> steps;
  auto task = [&]() -> tether::promise<> {
    co_await fsp::mkdir(sub);
    steps.emplace_back("mkdir");
    co_await fsp::write_file(file, "0123456789");
    steps.emplace_back("write_file");
    // (Each co_await result goes to a local first: g++ 12 mishandles
    // co_await inside the temporaries of gtest's assertion macros.)
    const int fd = co_await fsp::open(file, O_RDWR);
    const std::string part = co_await fsp::read(fd, 4, 2);
    EXPECT_EQ(part, "2345");
    const std::size_t written = co_await fsp::write(fd, "AB", 0);
    EXPECT_EQ(written, 2u);
    const fs::stat_result fst = co_await fsp::fstat(fd);
    EXPECT_EQ(fst.size, 10u);
    co_await fsp::close(fd);
    steps.emplace_back("fd ops");
    const fs::stat_result st = co_await fsp::stat(sub);
    EXPECT_TRUE(st.is_directory);
    co_await fsp::rename(file, moved);
    const std::vector<fs::dir_entry> entries = co_await fsp::readdir(sub);
    EXPECT_THAT(entries, ElementsAre(fs::dir_entry{"g.txt", fs::entry_type::file}));
    const std::string content = co_await fsp::read_file(moved);
    EXPECT_EQ(content, "AB23456789");
    co_await fsp::unlink(moved);
    steps.emplace_back("done");
  };
  const tether::promise<> p = task();
  loop().run();
  EXPECT_THAT(steps, ElementsAre("mkdir", "write_file", "fd ops", "done"));
  EXPECT_FALSE(std::filesystem::exists(moved));
  EXPECT_TRUE(rec().activities_of_type(fsreq).empty());  // promise forms are FSREQPROMISE
  EXPECT_FALSE(rec().activities_of_type(fsreq_promise).empty());
}

TEST_F(Fs, PromisesRejectWithAUvErrorNamingTheCallAndThePath) {
  const std::string missing = path("nope");
  std::vector<std::string> whats;
  std::error_code code;
  std::string err_path;
  std::string err_syscall;
  auto task = [&]() -> tether::promise<> {
    try {
      co_await fsp::read_file(missing);
    } catch (const tether::uv_error& e) {
      whats.emplace_back(e.what());
      code = e.code();
      err_path = e.path();
      err_syscall = e.syscall();
    }
    try {
      co_await fsp::rename(missing, path("other"));
    } catch (const std::system_error& e) {  // a uv_error is a std::system_error
      whats.emplace_back(e.what());
    }
    try {
      co_await fsp::mkdir(dir_.string());
    } catch (const std::system_error& e) {
      whats.emplace_back(e.what());
    }
    try {
      co_await fsp::read_file(dir_.string());
    } catch (const std::system_error& e) {
      whats.emplace_back(e.what());
    }
  };
  const tether::promise<> p = task();
  loop().run();
  EXPECT_THAT(whats,
              ElementsAre("open '" + missing + "': no such file or directory (ENOENT)",
                          "rename '" + missing + "' -> '" + path("other") +
                              "': no such file or directory (ENOENT)",
                          "mkdir '" + dir_.string() + "': file already exists (EEXIST)",
                          "read '" + dir_.string() + "': illegal operation on a directory (EISDIR)"));
  EXPECT_EQ(code, std::errc::no_such_file_or_directory);
  EXPECT_EQ(err_path, missing);
  EXPECT_EQ(err_syscall, "open");
}

// "Nothing throws synchronously": even a read whose buffer cannot be
// allocated rejects, and no request (no FSREQPROMISE) is made.
TEST_F(Fs, PromisesRejectAnImpossibleReadInsteadOfThrowing) {
  std::optional<tether::promise<std::string>> p;
  ASSERT_NO_THROW(p.emplace(fsp::read(0, std::string().max_size() + 1)));
  EXPECT_TRUE(p->is_rejected());
  bool caught = false;
  const auto handled = p->catch_([&](std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::length_error&) {
      caught = true;
    }
    return std::string();
  });
  loop().run();
  EXPECT_TRUE(caught);
  EXPECT_TRUE(rec().activities_of_type(fsreq_promise).empty());
}

// The chain is the callback form's, with FSREQPROMISE requests; the promise
// (created first) settles inside the last request's scope.
TEST_F(Fs, PromisesReadFileChainAndWhereThePromiseSettles) {
  const std::string p = put("a.txt", "hi");
  std::string got;
  tether::promise<std::string> pr = fsp::read_file(p);
  const async_id promise_id = last_id("PROMISE");
  ASSERT_NE(promise_id, 0u);
  pr.then([&](std::string s) { got = std::move(s); });
  loop().run();
  EXPECT_EQ(got, "hi");
  const auto acts = rec().activities_of_type(fsreq_promise);
  ASSERT_EQ(acts.size(), 4u);
  EXPECT_EQ(acts[0].trigger, top());
  EXPECT_GT(acts[0].id, promise_id);
  for (std::size_t i = 1; i < acts.size(); ++i) {
    EXPECT_EQ(acts[i].trigger, acts[i - 1].id);
  }
  bool resolved_in_last = false;
  for (const auto& r : rec().records()) {
    if (r.kind == tether::test::event_kind::promise_resolve && r.id == promise_id) {
      resolved_in_last = r.execution_id == acts.back().id;
    }
  }
  EXPECT_TRUE(resolved_in_last);
}

TEST_F(Fs, PromisesKeepTheStoreAcrossAwaits) {
  const std::string p = put("a.txt", "x");
  tether::async_local_storage<int> als;
  std::vector<int> seen;
  auto look = [&] {
    const int* s = als.get_store();
    seen.push_back(s != nullptr ? *s : -1);
  };
  auto task = [&]() -> tether::promise<> {
    co_await fsp::stat(p);
    look();
    co_await fsp::read_file(p);
    look();
  };
  als.run(3, [&] { (void)task(); });
  als.run(4, [&] { (void)task(); });
  loop().run();
  std::sort(seen.begin(), seen.end());
  EXPECT_THAT(seen, ElementsAre(3, 3, 4, 4));
}

// --- teardown -----------------------------------------------------------------

/// How many of this process's descriptors refer to something under `dir`.
std::size_t fds_under(const std::filesystem::path& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    const std::string target = std::filesystem::read_symlink(e.path(), ec).string();
    if (!ec && target.rfind(dir.string(), 0) == 0) {
      ++n;
    }
  }
  return n;
}

// The loop's destructor waits for requests already in libuv's thread pool;
// each still gets its destroy, nothing leaks (ASan), no descriptor stays open.
TEST_F(Fs, LoopDestroyedWithRequestsInFlightLeaksNothing) {
  const std::string p = put("a.txt", "x");
  int callbacks = 0;
  fs::stat(p, [&](std::error_code, fs::stat_result) { ++callbacks; });
  fs::read_file(p, [&](std::error_code, std::string) { ++callbacks; });
  fs::write_file(path("b.txt"), std::string(100000, 'z'), [&](std::error_code) { ++callbacks; });
  fs::readdir(dir_.string(), [&](std::error_code, std::vector<fs::dir_entry>) { ++callbacks; });
  tether::promise<std::string> pending = tether::fs::promises::read_file(p);
  destroy_loop();
  EXPECT_EQ(fds_under(dir_), 0u);
  EXPECT_EQ(callbacks, 0);  // user code does not run during teardown
  // TearDown: every init got its destroy.
  for (const auto& a : rec().activities_of_type(fsreq)) {
    EXPECT_EQ(a.calls.destroy, 1) << a.id;
  }
}

}  // namespace
