# Thin wrappers; the build is CMake's (CMakeLists.txt), the tests ctest's.
#   make run    install what is missing, build, start the system with demo data
#   make test   install what is missing, build (plain and ASan/UBSan), run every test
#   make bench  the benchmarks of docs/benchmarks.md
#   make fuzz   every libFuzzer target of tests/fuzz for FUZZ_SECONDS (60) each (clang, build-fuzz)
#   make soak   the soak run of docs/reliability.md (SOAK_SECONDS, default 600)

BUILD      ?= build
ASAN_BUILD ?= build-asan
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = $(basename $(notdir $(wildcard tests/fuzz/fuzz_*.c)))
SOAK_SECONDS ?= 600

.PHONY: all deps build asan test test-unit run bench clean format fuzz-build fuzz soak

all: build

deps:
	@scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DLB_SANITIZE=ON -DLB_UNIT_ONLY=ON $(CMAKE_ARGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

test: build asan fuzz-build
	@echo "== unit and black-box tests ($(BUILD))"
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@echo "== unit tests under AddressSanitizer and UndefinedBehaviorSanitizer ($(ASAN_BUILD))"
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS) -L unit
	@echo "== fuzz targets, a few seconds each ($(FUZZ_BUILD))"
	@cd $(FUZZ_BUILD) && ctest --output-on-failure -j $(JOBS) -L fuzz

test-unit: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

# The libFuzzer targets: clang, ASan and UBSan, in their own build dir.
fuzz-build: deps
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLB_FUZZ=ON -DLB_UNIT_ONLY=ON $(CMAKE_ARGS) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS) --target $(FUZZ_TARGETS)

# Each target for FUZZ_SECONDS; new inputs go to $(FUZZ_BUILD)/fuzz-corpus/<target>
# (copy the interesting ones into tests/fuzz/corpus/), crashes beside them.
fuzz: fuzz-build
	@for t in $(FUZZ_TARGETS); do \
	  echo "== $$t ($(FUZZ_SECONDS) s)"; \
	  mkdir -p $(FUZZ_BUILD)/fuzz-corpus/$$t; \
	  $(FUZZ_BUILD)/$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/fuzz-corpus/$$t- \
	    $(FUZZ_BUILD)/fuzz-corpus/$$t tests/fuzz/corpus/$$t 2>$(FUZZ_BUILD)/$$t.log \
	    || { tail -50 $(FUZZ_BUILD)/$$t.log; exit 1; }; \
	  grep -E "^stat::(number_of_executed_units|average_exec_per_sec)" $(FUZZ_BUILD)/$$t.log; \
	done

# Minutes of mixed load with lotsd and lots-worker killed along the way.
soak: build
	@LB_BUILD_DIR=$(BUILD) LB_SOURCE_DIR=. SOAK_SECONDS=$(SOAK_SECONDS) /usr/bin/python3 bench/soak.py

run: build
	@scripts/run.sh

bench: build
	@scripts/deps.sh bench
	@bench/run.sh

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
