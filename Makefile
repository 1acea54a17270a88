# Thin wrappers; the build is CMake's (CMakeLists.txt), the tests ctest's.
#   make run    install what is missing, build, start the system with demo data
#   make test   install what is missing, build (plain and ASan/UBSan), run every test
#               (the ASan build is the unit tests plus lotsd for tests/blackbox/test_resets.py)
#   make bench  the benchmarks of docs/benchmarks.md
#   make install  lotsd, lots-worker, lots, the man page and bash completion (PREFIX=/usr/local)
#   make deb    the Debian package (debian/, dpkg-buildpackage -us -uc -b) into build-deb/
#   make package-test  build the .deb, install it, run its units' commands, remove it
#   make bench-scale  reads at 10,000 and 10,000,000 contacts (data set kept in var/bench-scale)

BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
DEB_BUILD  ?= build-deb
FUZZ_SECONDS ?= 5
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_ARGS ?=

.PHONY: all deps build asan test test-unit run bench bench-scale profile clean format deb package-test

all: build

deps:
	@scripts/deps.sh

build: deps
	@cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

asan: deps
	@cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DLB_SANITIZE=ON -DLB_UNIT_ONLY=ON $(CMAKE_ARGS) >/dev/null
	@cmake --build $(ASAN_BUILD) -j $(JOBS)

fuzz-build: deps
	@CC=clang cmake -S . -B $(FUZZ_BUILD) -DCMAKE_BUILD_TYPE=Debug -DLB_FUZZ=ON -DLB_WERROR=OFF \
		-DLB_FUZZ_SECONDS=$(FUZZ_SECONDS) $(CMAKE_ARGS) >/dev/null
	@cmake --build $(FUZZ_BUILD) -j $(JOBS)

# Each target for 60 s (the prerequisite inherits FUZZ_SECONDS); executions per target printed.
fuzz: FUZZ_SECONDS = 60
fuzz: fuzz-build
	@cd $(FUZZ_BUILD) && { ctest --output-on-failure -V -L fuzz > fuzz.log 2>&1; rc=$$?; \
		grep -E "Test +#|stat::number_of_executed_units|tests passed|tests failed|ERROR" fuzz.log; \
		exit $$rc; }

test: build asan fuzz-build
	@scripts/e2e-deps.sh
	@echo "== unit, black-box and browser tests ($(BUILD))"
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS)
	@echo "== unit tests and lotsd's reset tests under AddressSanitizer and UndefinedBehaviorSanitizer ($(ASAN_BUILD))"
	@cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 ctest --output-on-failure -j $(JOBS) -L 'unit|asan'
	@echo "== libFuzzer targets, a few seconds each over their seed corpora ($(FUZZ_BUILD))"
	@cd $(FUZZ_BUILD) && ctest --output-on-failure -j $(JOBS) -L fuzz

# Ten minutes of mixed load with the worker and lotsd killed (SOAK_SECONDS to change).
soak: build
	@LB_BUILD_DIR=$(BUILD) /usr/bin/python3 bench/soak.py

test-unit: build
	@cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -L unit

run: build
	@scripts/run.sh

bench: build
	@scripts/deps.sh bench
	@bench/run.sh

bench-scale: build
	@scripts/deps.sh bench
	@bench/run.sh --scale

profile: build
	@scripts/deps.sh bench
	@LB_BUILD_DIR=$(BUILD) /usr/bin/python3 bench/profile.py

install: build
	@cmake --install $(BUILD) $(if $(PREFIX),--prefix $(PREFIX))

# The package is built from a copy of the tree (dpkg-buildpackage writes beside
# its source), so the .deb, .buildinfo and .changes land in $(DEB_BUILD)/.
deb:
	@scripts/deps.sh package
	@rm -rf $(DEB_BUILD) && mkdir -p $(DEB_BUILD)/src
	@git ls-files -z --cached --others --exclude-standard | grep -zv '^tests/e2e/node_modules/' | \
		xargs -0 cp --parents -t $(DEB_BUILD)/src
	@cd $(DEB_BUILD)/src && dpkg-buildpackage -us -uc -b -j$(JOBS) >../build.log 2>&1 || \
		{ tail -n 40 ../build.log; exit 1; }
	@lintian --tag-display-limit 0 $(DEB_BUILD)/lotsbok_*.deb > $(DEB_BUILD)/lintian.txt 2>&1 || true
	@cat $(DEB_BUILD)/lintian.txt
	@! grep -q '^E:' $(DEB_BUILD)/lintian.txt
	@ls -l $(DEB_BUILD)/lotsbok_*.deb

# Root: installs the .deb on this machine, runs it, removes it (scripts/package-test.sh).
package-test: deb
	@scripts/package-test.sh $(DEB_BUILD)

format:
	@clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
