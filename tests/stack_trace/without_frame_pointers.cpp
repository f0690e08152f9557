// Built the way most programs are: -O2 -fomit-frame-pointer
// (tests/CMakeLists.txt), and -fno-optimize-sibling-calls so that every call
// here stays a frame (a tail call would drop one from any unwinder's view).
// frame_walk_test.cpp calls through these three to check that a stack that
// passes code without frame pointers is still walked right.

namespace tether::test {

using nofp_callback = void (*)(void* arg);

// Each returns through code after the call (the empty asm), so the call is
// not the last thing the function does.
[[gnu::noinline]] void nofp_third(nofp_callback f, void* arg) {
  f(arg);
  asm volatile("");
}

[[gnu::noinline]] void nofp_second(nofp_callback f, void* arg) {
  nofp_third(f, arg);
  asm volatile("");
}

[[gnu::noinline]] void nofp_first(nofp_callback f, void* arg) {
  nofp_second(f, arg);
  asm volatile("");
}

}  // namespace tether::test
