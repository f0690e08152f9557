#!/usr/bin/env bash
# Installs the Debian 12 packages tether needs to build, test and benchmark.
# Idempotent: checks each package with dpkg-query first and runs apt-get only
# when something is missing (one `apt-get update`, then one install).
set -euo pipefail

packages=(
  build-essential     # g++ 12, make
  cmake               # 3.25 (presets schema 6)
  ninja-build
  pkg-config          # libuv ships only a .pc file
  libgtest-dev
  libgmock-dev
  libbenchmark-dev
  libuv1-dev          # tether::runtime
  node-llhttp         # tether::http: llhttp's C sources (Node's parser)
  wrk                 # make bench: the HTTP benchmark
  nginx-light         # make bench: the HTTP benchmark's raw-speed anchor
  clang               # make test: the fuzz preset (clang++)
  libclang-rt-14-dev  # make test: libFuzzer and the sanitizer runtimes for clang
  clang-16            # make test: the clang preset (Debian's newest clang)
  libclang-rt-16-dev  # make test: clang-16's sanitizer runtimes
  libasio-dev         # tether::asio (standalone Asio)
  libboost-dev        # tether::asio (Boost.Asio)
  libdw-dev           # tether::stack_trace: symbolization (elfutils)
  libunwind-dev       # tether::stack_trace: unwinding without frame pointers
  libprotozero-dev    # tether::profiler: Perfetto protobuf output
  libcli11-dev        # tether::profiler: the tether-prof command line
  protobuf-compiler   # make test: protoc --decode checks the Perfetto output
  chromium            # make test: browser tests of the profiler's HTML report
  ccache              # optional: faster rebuilds (CMAKE_CXX_COMPILER_LAUNCHER=ccache)
)

# Node is only needed for the bench/node comparisons; it may come from
# somewhere other than Debian's package, so check the command, not the package.
if ! command -v node >/dev/null 2>&1; then
  packages+=(nodejs)
fi
# npm installs playwright-core into build/ for the profiler's browser test.
if ! command -v npm >/dev/null 2>&1; then
  packages+=(npm)
fi

missing=()
for pkg in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root, or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: installed ${missing[*]}"
