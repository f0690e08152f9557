// docs/coroutines.md: the safe forms, on every compiler (g++ 12 included).
#include <tether/event_loop.hpp>
#include <tether/promise.hpp>
#include <tether/work.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <utility>

using namespace std::chrono_literals;

// Parameters by value: the coroutine frame owns them across every co_await.
tether::promise<std::size_t> count_words(std::string text) {
  // A lambda that owns memory is named before the co_await that uses it.
  auto count = [text = std::move(text)] {
    std::size_t words = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
      words += text[i] != ' ' && (i == 0 || text[i - 1] == ' ');
    }
    return words;
  };
  co_return co_await tether::queue_work(std::move(count));  // on the thread pool
}

tether::promise<> main_task(int& status) {
  std::size_t words = co_await count_words(std::string(100, 'a') + " b c");
  // A callback that owns memory: named, or in a statement without co_await.
  auto describe = [unit = std::string(" words")](std::size_t n) { return std::to_string(n) + unit; };
  std::string text = co_await tether::delay(1ms).then([words] { return words; }).then(std::move(describe));
  std::printf("%s\n", text.c_str());  // 3 words
  status = text == "3 words" ? 0 : 1;
}

int main() {
  tether::event_loop loop;
  int status = 1;
  auto task = main_task(status);  // eager: runs to its first co_await now
  loop.run();                     // until the thread pool job, timer and microtasks are done
  return status;
}
