// The floor: the same workloads on plain Asio, compiled without tether
// (this object library does not link tether::asio). Rows "plain".
#include "asio/workloads.hpp"

namespace {

void BM_AsioPostChain_plain(benchmark::State& state) {
  asio_bench::post_chain(state, asio_bench::start_plainly);
}
BENCHMARK(BM_AsioPostChain_plain)->Iterations(asio_bench::post_chain_handlers)->UseRealTime();

void BM_AsioTcpEcho_plain(benchmark::State& state) {
  asio_bench::echo e(state);
  e.run([] {}, asio_bench::start_plainly);
}
BENCHMARK(BM_AsioTcpEcho_plain)->Iterations(asio_bench::echo_round_trips)->UseRealTime();

}  // namespace
