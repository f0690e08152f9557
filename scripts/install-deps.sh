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
  libhttp-parser-dev  # tether::runtime http
  wrk                 # make bench: the HTTP benchmark
  clang               # make test: the fuzz preset (clang++)
  libclang-rt-14-dev  # make test: libFuzzer and the sanitizer runtimes for clang
  libasio-dev         # tether::asio (standalone Asio)
  libboost-dev        # tether::asio (Boost.Asio)
  libprotozero-dev    # tether-prof: the Perfetto writer
  libcli11-dev        # tether-prof: the command line
  protobuf-compiler   # tests/profiler: protoc --decode checks the Perfetto output
  chromium            # tests/profiler: the HTML report in headless Chromium
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
