// Every coroutine form docs/coroutines.md recommends, run for real: the asan
// preset builds this file with g++ 12 (Debian's), whose coroutine bugs (GCC
// PR 100611, PR 103871) turn some other forms into a double free or a compile
// error, and ASan fails a test on any double or invalid free. Each test
// awaits across a real suspension (the thread pool, a timer, a microtask) with
// data that owns heap memory (1000-byte strings, vectors, unique_ptrs) and
// short strings (small-string buffers inside the object: the form where g++ 12
// frees an address that was never allocated).
//
// The last tests hold the forms g++ 12 gets wrong; they run only when the
// compiler is clang (the clang preset), proving the per-compiler advice.
#include <tether/promise.hpp>  // first: the header is self-contained

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstddef>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <tether/async_hooks.hpp>
#include <tether/event_loop.hpp>
#include <tether/timers.hpp>
#include <tether/work.hpp>

#include "runtime/loop_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using ::testing::ElementsAre;
using tether::promise;

class CoroutineForms : public tether::test::loop_fixture {
 protected:
  /// Runs the loop until `p` settles and returns its value (a rejection or
  /// a coroutine that never finished fails the test).
  template <class T>
  T result_of(promise<T> p) {
    std::optional<T> out;
    auto grab = [&out](promise<T> q) -> promise<> { out = co_await q; };
    auto done = grab(std::move(p));
    loop().run();
    EXPECT_TRUE(done.is_fulfilled()) << "the coroutine did not finish, or rejected";
    return out ? std::move(*out) : T{};
  }
};

const std::string long_text(1000, 'x');  // heap-allocated by every copy
const std::string short_text = "sso";    // fits std::string's inline buffer

/// Resolves on the next loop turn with `s`: a real suspension.
promise<std::string> echo(std::string s) {
  co_await tether::delay(1ms);
  co_return s;
}

// --- coroutine parameters and lambda coroutines --------------------------------

/// Parameters by value live in the coroutine frame: safe across every await,
/// whatever the caller passed (a temporary, a literal, a moved string).
promise<std::size_t> measure(std::string s, std::vector<int> v) {
  co_await tether::delay(1ms);
  co_return s.size() + v.size();
}

TEST_F(CoroutineForms, ParametersByValueOutliveTheCallersTemporaries) {
  auto body = []() -> promise<std::size_t> {
    std::vector<int> three{1, 2, 3};
    std::size_t n = co_await measure(std::string(1000, 'm'), std::move(three));
    n += co_await measure("literal", std::vector<int>(5, 0));
    co_return n;
  };
  EXPECT_EQ(result_of(body()), 1000u + 3u + 7u + 5u);
}

TEST_F(CoroutineForms, LambdaCoroutineNamedWhileItRuns) {
  // The captures live in the closure, not in the coroutine frame: the closure
  // is named, and outlives the coroutine it started.
  auto body = []() -> promise<std::size_t> {
    auto task = [data = long_text, tag = short_text]() -> promise<std::size_t> {
      co_await tether::delay(1ms);
      co_return data.size() + tag.size();
    };
    co_return co_await task();
  };
  EXPECT_EQ(result_of(body()), 1003u);
}

TEST_F(CoroutineForms, LambdaCoroutineTakingItsDataAsParameters) {
  // A capture-less lambda coroutine takes what it needs as by-value
  // parameters: they are in the frame, so calling it on a temporary is fine.
  auto body = []() -> promise<std::size_t> {
    auto task = [](std::string data, std::unique_ptr<int> n) -> promise<std::size_t> {
      co_await tether::delay(1ms);
      co_return data.size() + static_cast<std::size_t>(*n);
    };
    co_return co_await task(long_text, std::make_unique<int>(7));
  };
  EXPECT_EQ(result_of(body()), 1007u);
}

TEST_F(CoroutineForms, ArgumentsThatAreFunctionCallResultsOrLvalues) {
  // Temporaries made by a constructor or function call (std::string(n, c),
  // operator+, std::to_string) and lvalues chosen by ?: are fine inline.
  auto body = [](bool first) -> promise<std::string> {
    const std::string a(1000, 'a');
    const std::string b(1000, 'b');
    std::string out = co_await echo(std::string(3, 'c'));
    out += co_await echo("d" + short_text);
    out += co_await echo(std::to_string(42));
    out += (co_await echo(first ? a : b)).substr(0, 2);
    std::string copy = out;
    out += co_await echo(std::move(copy));
    co_return out;
  };
  EXPECT_EQ(result_of(body(true)), std::string("cccdsso42aa") + "cccdsso42aa");
}

// --- queue_work ------------------------------------------------------------------

TEST_F(CoroutineForms, QueueWorkOnANamedLambdaOwningMemory) {
  auto body = []() -> promise<std::size_t> {
    std::string input = long_text;
    auto count = [data = std::move(input), tag = short_text] { return data.size() + tag.size(); };
    std::size_t n = co_await tether::queue_work(std::move(count));
    // A move-only closure too.
    auto boxed = [p = std::make_unique<std::vector<int>>(10, 1)] {
      return static_cast<std::size_t>(std::accumulate(p->begin(), p->end(), 0));
    };
    n += co_await tether::queue_work(std::move(boxed));
    co_return n;
  };
  EXPECT_EQ(result_of(body()), 1003u + 10u);
}

TEST_F(CoroutineForms, QueueWorkInlineWithoutOwningCaptures) {
  // No capture, captures by reference, or trivially copyable captures: the
  // closure has nothing to free, so an inline lambda is fine on g++ 12 too.
  auto body = []() -> promise<std::size_t> {
    const std::string data = long_text;
    int extra = 5;  // not const: a const int would not need capturing
    std::size_t n = co_await tether::queue_work([] { return std::size_t{1}; });
    n += co_await tether::queue_work([&data] { return data.size(); });
    n += co_await tether::queue_work([extra, p = data.data()] {
      return static_cast<std::size_t>(extra) + (*p == 'x' ? 1u : 0u);
    });
    co_return n;
  };
  EXPECT_EQ(result_of(body()), 1u + 1000u + 6u);
}

TEST_F(CoroutineForms, QueueWorkStartedInOneStatementAwaitedInTheNext) {
  // The lambda temporary dies in a statement that has no co_await.
  auto body = []() -> promise<std::size_t> {
    auto job = tether::queue_work([data = long_text] { return data.size(); });
    co_return co_await job;
  };
  EXPECT_EQ(result_of(body()), 1000u);
}

// --- timers ----------------------------------------------------------------------

TEST_F(CoroutineForms, DelayAndSetTimeoutWithOwningCallbacks) {
  auto body = []() -> promise<std::string> {
    co_await tether::delay(1ms);
    co_await tether::delay(std::chrono::milliseconds(2));
    // set_timeout is not awaited: its callback may own anything, inline.
    auto [fired, fire] = tether::make_promise<std::string>();
    tether::set_timeout([text = long_text, tag = short_text, r = std::move(fire)]() mutable {
      r.resolve(tag + std::to_string(text.size()));
    }, 1ms);
    co_return co_await fired;
  };
  EXPECT_EQ(result_of(body()), "sso1000");
}

// --- then / catch_ / finally -----------------------------------------------------

TEST_F(CoroutineForms, ThenWithANamedCallbackOrInAStatementOfItsOwn) {
  auto body = []() -> promise<std::string> {
    auto suffix = [tail = long_text.substr(0, 3), tag = short_text](std::string v) {
      return v + tail + tag;
    };
    std::string out = co_await echo("a").then(std::move(suffix));
    auto next = echo("b").then([tail = long_text](std::string v) { return v + tail.substr(0, 1); });
    out += co_await next;
    // Capture-less callbacks are fine inline.
    out += co_await echo("c").then([](std::string v) { return v + "!"; });
    co_return out;
  };
  EXPECT_EQ(result_of(body()), "axxxssobxc!");
}

TEST_F(CoroutineForms, ThenWithALambdaCoroutineCallback) {
  // A lambda coroutine passed to then() is kept in the derived promise until
  // the promise it returned has settled (promise.hpp).
  auto body = []() -> promise<std::string> {
    auto later = [tag = long_text.substr(0, 2), s = short_text](std::string v) -> promise<std::string> {
      co_await tether::delay(1ms);
      co_return v + tag + s;
    };
    co_return co_await echo("v").then(std::move(later));
  };
  EXPECT_EQ(result_of(body()), "vxxsso");
}

TEST_F(CoroutineForms, CatchAndFinallyWithNamedCallbacks) {
  auto body = []() -> promise<std::vector<std::string>> {
    std::vector<std::string> seen;
    auto failing = []() -> promise<std::string> {
      co_await tether::delay(1ms);
      throw std::runtime_error("boom");
    };
    auto recover = [fallback = long_text.substr(0, 4)](std::exception_ptr) { return fallback; };
    seen.push_back(co_await failing().catch_(std::move(recover)));
    auto cleanup = [&seen, note = std::string(100, 'f')] { seen.push_back(note.substr(0, 1)); };
    seen.push_back(co_await echo("kept").finally(std::move(cleanup)));
    auto split = echo("split").finally([&seen, note = long_text] { seen.push_back(note.substr(0, 2)); });
    seen.push_back(co_await split);
    co_return seen;
  };
  EXPECT_THAT(result_of(body()), ElementsAre("xxxx", "f", "kept", "xx", "split"));
}

// --- combinators -------------------------------------------------------------------

TEST_F(CoroutineForms, AllOnANamedVector) {
  auto body = []() -> promise<std::string> {
    std::vector<promise<std::string>> parts;
    parts.push_back(echo(long_text.substr(0, 1)));
    parts.push_back(echo(short_text));
    std::vector<std::string> values = co_await tether::all(std::move(parts));
    co_return values[0] + values[1];
  };
  EXPECT_EQ(result_of(body()), "xsso");
}

// --- a map keyed by execution_async_id() (docs/async_hooks.md) ---------------------

TEST_F(CoroutineForms, AnIdKeyedMapFilledInsideTheCoroutineMissesAfterCoAwait) {
  // The Node-article technique: copy the creator's entry to every new id in
  // init, look the current id up. An entry stored inside the coroutine before
  // its first co_await is not found after it (Node would find it: its await
  // creates a promise then); one stored before the coroutine is called is.
  std::map<tether::async_id, std::string> requests;
  auto hook = tether::create_hook({.init = [&](tether::async_id id, std::string_view, tether::async_id,
                                               tether::resource&) {
                                    auto creator = requests.find(tether::execution_async_id());
                                    if (creator != requests.end()) {
                                      requests[id] = creator->second;
                                    }
                                  }}).enable();
  auto lookup = [&requests] {
    auto it = requests.find(tether::execution_async_id());
    return it != requests.end() ? it->second : std::string("not found");
  };
  std::string inside_before;
  std::string inside_after;
  auto stores_inside = [&]() -> promise<> {
    requests[tether::execution_async_id()] = "req-1";
    inside_before = lookup();
    co_await tether::delay(1ms);
    inside_after = lookup();
  };
  std::string stored_first;
  auto stored_by_caller = [&]() -> promise<> {
    co_await tether::delay(1ms);
    stored_first = lookup();
  };
  tether::async_resource one("REQUEST");
  tether::async_resource two("REQUEST");
  requests[two.id()] = "req-2";
  promise<> p1;
  promise<> p2;
  one.run_in_async_scope([&] { p1 = stores_inside(); });
  two.run_in_async_scope([&] { p2 = stored_by_caller(); });
  loop().run();
  EXPECT_EQ(inside_before, "req-1");
  EXPECT_EQ(inside_after, "not found");  // the coroutine resumed in its own PROMISE, created before
  EXPECT_EQ(stored_first, "req-2");
}

// --- the forms g++ 12 gets wrong --------------------------------------------------

#if defined(__clang__)
struct options {
  std::string method = "GET";
  std::string body;
};

promise<std::size_t> size_of(options o) {
  co_await tether::delay(1ms);
  co_return o.method.size() + o.body.size();
}

TEST_F(CoroutineForms, ClangCompilesTheFormsGxx12GetsWrong) {
  auto body = [](bool first) -> promise<std::size_t> {
    // PR 100611: a closure with owning captures, an aggregate, a ?: between
    // temporaries, each a temporary inside the co_await.
    std::size_t n = co_await tether::queue_work([data = long_text] { return data.size(); });
    n += (co_await echo("a").then([tail = long_text](std::string v) { return v + tail; })).size();
    n += co_await size_of(options{.method = "POST", .body = long_text});
    n += (co_await echo(first ? std::string(10, 'a') : std::string(20, 'b'))).size();
    // PR 103871: a braced list that makes an initializer_list.
    std::vector<std::string> values = co_await tether::all<std::string>({echo("p"), echo("q")});
    n += values.size();
    co_return n;
  };
  EXPECT_EQ(result_of(body(true)), 1000u + 1001u + 1004u + 10u + 2u);
}
#else
TEST_F(CoroutineForms, ClangCompilesTheFormsGxx12GetsWrong) {
  GTEST_SKIP() << "g++ 12 miscompiles these forms (GCC PR 100611, PR 103871): "
                  "docs/coroutines.md; the clang preset runs them";
}
#endif

}  // namespace
