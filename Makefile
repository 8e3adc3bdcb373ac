# Kith: the two commands a fresh machine needs are `make demo` and `make test`.
# Both install libsodium-dev first when pkg-config cannot find libsodium;
# make test also installs PostgreSQL's server for the engine tests when missing.

SWIFT ?= swift
# Tests and the demo share one debug build; the benchmark uses release.
BUILD_FLAGS ?=

.PHONY: all build test demo bench man deps format-check clean fuzz fuzz-smoke crash-matrix soak

all: build

deps:
	@sh scripts/ensure-deps.sh

build: deps
	$(SWIFT) build $(BUILD_FLAGS)

# The store tests run on SQLite and on a throwaway PostgreSQL server that
# scripts/with-test-postgres.sh starts (installing postgresql when missing)
# and stops afterwards; KITH_REQUIRE_POSTGRES makes its absence a failure.
# Chromium (installed when missing) signs a real browser in to kith serve;
# KITH_REQUIRE_BROWSER makes its absence a failure too.
test: deps format-check
	@sh scripts/ensure-browser.sh
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	@$(MAKE) --no-print-directory fuzz-smoke
	KITH_REQUIRE_POSTGRES=1 KITH_REQUIRE_BROWSER=1 sh scripts/with-test-postgres.sh $(SWIFT) test --skip-build --disable-xctest $(BUILD_FLAGS)

demo: build
	@sh scripts/demo.sh "$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/kith"

bench: deps
	@sh scripts/ensure-bench-deps.sh
	$(SWIFT) build -c release --product kith-bench
	$(SWIFT) build -c release --product kith
	"$$($(SWIFT) build -c release --show-bin-path)/kith-bench" --quick

# Every decoder of outside bytes under libFuzzer and AddressSanitizer (a
# separate build in .build-fuzz), FUZZ_SECONDS each, from the committed
# corpus and regressions in Fuzz/. Prints executions and coverage per target.
FUZZ_SECONDS ?= 600
fuzz: deps
	sh scripts/fuzz.sh $(FUZZ_SECONDS)

# The short run make test includes: a few seconds a target, fixed seed.
fuzz-smoke: deps
	FUZZ_SEED=1 sh scripts/fuzz.sh 3

# The whole crash matrix: every write killed at each of its durability
# points (before and after) and at CRASH_TRIALS random moments, on SQLite
# and PostgreSQL; make test runs a sample of the same suite.
CRASH_TRIALS ?= 100
crash-matrix: deps
	$(SWIFT) build --build-tests $(BUILD_FLAGS)
	KITH_CRASH_TRIALS=$(CRASH_TRIALS) KITH_CRASH_POINTS=all KITH_REQUIRE_POSTGRES=1 sh scripts/with-test-postgres.sh \
		$(SWIFT) test --skip-build --disable-xctest $(BUILD_FLAGS) --filter CrashMatrix

# Eight clients of mixed work for SOAK_SECONDS on SQLite, then on a database
# of a throwaway PostgreSQL server: errors, throughput and latency over time.
SOAK_SECONDS ?= 300
soak: deps
	$(SWIFT) build -c release --product kith-bench
	sh scripts/with-test-postgres.sh sh -c 'psql "$$KITH_TEST_POSTGRES" -qc "CREATE DATABASE soak" && \
		KITH_BENCH_POSTGRES="$${KITH_TEST_POSTGRES%/*}/soak" "$$($(SWIFT) build -c release --show-bin-path)/kith-bench" --only soak --soak-seconds $(SOAK_SECONDS)'

# The man page, generated from the command definitions by swift-argument-parser's
# generate-manual plugin (all subcommands in one page). Read it: man ./man/kith.1
man: build
	$(SWIFT) package generate-manual --configuration debug
	@mkdir -p man
	cp .build/plugins/GenerateManual/outputs/kith/kith.1 man/kith.1
	@echo "Wrote man/kith.1; read it with: man ./man/kith.1"

# Forbids force unwraps and force try (see .swift-format); skipped with a
# note when the toolchain has no swift-format.
format-check:
	@if $(SWIFT) format --version >/dev/null 2>&1; then \
		$(SWIFT) format lint --strict --recursive Sources Tests; \
	else echo "note: swift-format not in this toolchain; style check skipped"; fi

clean:
	rm -rf .build .build-fuzz .build-fuzz.log man
