# Front door. Everything real lives in CMakePresets.json; this file only
# orders the steps and installs what is missing first.
#   make demo    build and run the flagship demo, examples/request_context/
#                (DEMO=<example name> for another example; PROFILE=1 records it
#                with tether-prof and prints the report's path)
#   make test    dev, then clang (the dev build with clang 16), then asan, then tsan, then
#                fuzz (clang libFuzzer, a 20 s run): configure, build, ctest. The package,
#                Node-interop and differential tests run in dev (and all but package in
#                asan): they do not depend on the compiler. tsan runs the threads tests.
#                41-47 min on 2 cores (2026-12-07); asan builds at -O0 because GCC's UBSan at
#                -O1 doubled its compile times (make test took 59 min).
#   make bench   release build; core and runtime ratio tables (Node, raw libuv), the HTTP
#                benchmark (wrk against tether and Node), then other benchmarks
#   make clean   remove build/

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

CMAKE ?= cmake
CTEST ?= ctest
# The program `make demo` runs: examples/<DEMO>.cpp or examples/<DEMO>/.
DEMO ?= request_context
DEMO_PRESET ?= dev
# Presets `make test` runs, in order; `make test TEST_PRESETS=dev` for one.
TEST_PRESETS ?= dev clang asan tsan fuzz

.PHONY: help deps demo test $(addprefix test-,dev clang asan tsan fuzz) bench clean

help:
	@echo "make demo   build and run the $(DEMO) example ($(DEMO_PRESET) preset)"
	@echo "make test   configure, build and test presets: $(TEST_PRESETS)"
	@echo "make bench  release build; core and runtime ratio tables (vs Node, raw libuv), HTTP under wrk, other benchmarks"
	@echo "make clean  remove build/"

deps:
	./scripts/install-deps.sh

demo: deps
	$(CMAKE) --preset $(DEMO_PRESET)
ifeq ($(PROFILE),1)
	$(CMAKE) --build --preset $(DEMO_PRESET) --target $(DEMO) tether-prof
	./build/$(DEMO_PRESET)/bin/tether-prof run -o build/$(DEMO_PRESET)/profile -- ./build/$(DEMO_PRESET)/examples/$(DEMO)
else
	$(CMAKE) --build --preset $(DEMO_PRESET) --target $(DEMO)
	./build/$(DEMO_PRESET)/examples/$(DEMO)
endif

# Presets run one after another even under `make -j`: each build already uses
# every core, and the output stays readable.
test: deps
	@for preset in $(TEST_PRESETS); do \
	  $(MAKE) --no-print-directory test-$$preset || exit 1; \
	done

test-dev test-clang test-asan test-tsan test-fuzz: test-%:
	@echo "==> $*: configure, build, test"
	$(CMAKE) --preset $*
	$(CMAKE) --build --preset $*
	$(CTEST) --preset $*

bench: deps
	$(CMAKE) --preset release
	$(CMAKE) --build --preset release
	# Core and runtime: tether beside the same workloads in Node (and, for the
	# runtime, raw libuv / plain C++ floors), as ratio tables. CPU time, best
	# of 5: the machine is usually shared (bench/README.md, "Noisy machines").
	TETHER_NODE_TRIALS=5 python3 bench/compare.py --build-dir build/release \
	  --clock cpu --stat min --repetitions 5
	# HTTP: tether's server and Node's under the same wrk load (req/s).
	python3 bench/http/run.py --build-dir build/release
	# Threads: post and message ports beside raw libuv and Node's worker_threads.
	python3 bench/threads/run.py --build-dir build/release --stat min
	# Other layers: their own Google Benchmark binaries (baselines inside).
	@shopt -s nullglob; \
	for b in build/release/bench/*_bench; do \
	  case "$$(basename $$b)" in \
	    tether_core_bench|tether_runtime_bench|tether_uv_bench|tether_threads_bench) continue;; \
	  esac; \
	  [ -x "$$b" ] || continue; \
	  echo "==> $$b"; "$$b"; \
	done

clean:
	rm -rf build
