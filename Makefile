# streamdb build, run and test entry points. `make test` is what CI runs
# (.ci/run); it installs the client programs the tests drive when missing.

GO          ?= go
export CGO_ENABLED := 1
BIN         := bin/streamdb
TEST_TIMEOUT ?= 15m
FUZZTIME    ?= 3000x
# govulncheck, pinned; GOVULNDB may be a file:// copy of the database.
GOVULNCHECK := golang.org/x/vuln/cmd/govulncheck@v1.1.4
GOVULNDB    ?= https://vuln.go.dev
# VULNDB_SET is non-empty when GOVULNDB was given (environment or command line).
VULNDB_SET  := $(filter environment command line,$(origin GOVULNDB))
# Debian installs need root; use sudo when we are not root and it exists.
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: vulncheck-if-db all build run test test-deps vet unit race fuzz-smoke vulncheck bench lint clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/streamdb

# Starts the server on the embedded defaults: pgwire 127.0.0.1:5544,
# HTTP 127.0.0.1:5545, data in ./streamdb-data.
run: build
	./$(BIN) serve

# test-deps installs psql, the PostgreSQL server, psycopg2 (for
# /usr/bin/python3), pgJDBC, chromium (tests/dashboard) and node/npm from Debian when they are missing; nothing is
# done when they are present. It runs npm ci in tests/clients/node when
# node_modules was not installed from the current package-lock.json.
test-deps:
	@command -v psql >/dev/null 2>&1 || { \
		echo "installing postgresql-client"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql-client </dev/null; }
	@/usr/bin/python3 -c 'import psycopg2' >/dev/null 2>&1 || { \
		echo "installing python3-psycopg2"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq python3 python3-psycopg2 </dev/null; }
	@{ command -v java >/dev/null 2>&1 && [ -f /usr/share/java/postgresql.jar ]; } || { \
		echo "installing pgJDBC (libpostgresql-jdbc-java) and a Java runtime"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq default-jre-headless libpostgresql-jdbc-java </dev/null; }
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		echo "installing postgresql (the client suites check their expectations against it)"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql </dev/null; }
	@command -v chromium >/dev/null 2>&1 || { \
		echo "installing chromium (headless dashboard test)"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium </dev/null; }
	@{ command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; } || { \
		echo "installing nodejs and npm (tests/clients/node needs node >= 20.11)"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nodejs npm </dev/null; }
	@cd tests/clients/node && lock=$$(sha256sum package-lock.json | cut -d' ' -f1) && \
		[ "$$(cat node_modules/.streamdb-installed-lock-sha256 2>/dev/null)" = "$$lock" ] || { \
		echo "npm ci (tests/clients/node: pg, node-pg-migrate, pinned by package-lock.json)"; \
		npm ci --no-audit --no-fund --loglevel=error && echo "$$lock" > node_modules/.streamdb-installed-lock-sha256; }

vet:
	$(GO) vet ./...

unit:
	$(GO) test -timeout $(TEST_TIMEOUT) ./...

# Every Go fuzz target also runs its seed corpus in `go test`; test runs
# that plus go vet, fuzzes each target for FUZZTIME executions (fuzz-smoke; a count, not a duration, because a time limit that expires mid-run makes Go report a spurious "context deadline exceeded" failure on a loaded machine) and runs
# govulncheck when its database is reachable (vulncheck).
test: test-deps vet unit race fuzz-smoke vulncheck-if-db

# The race detector over the packages whose goroutines share state most
# (the dataflow runtime and its parallel workers, the stores, the
# checkpointer); about 1 minute. The server package is left out of CI
# because its race build and run take several minutes more:
# `go test -race ./server` runs it.
RACE_PKGS ?= ./sql/exec ./state ./checkpoint
race:
	$(GO) test -race -timeout $(TEST_TIMEOUT) $(RACE_PKGS)

# Finds fuzz targets by name (func FuzzX in _test.go files) rather than by
# compiling every package's tests.
fuzz-smoke:
	@set -e; for dir in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
		for target in $$(grep -h --include='*_test.go' -o '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go | sed 's/^func //'); do \
			echo "fuzz $$dir $$target ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) $$dir; \
		done; \
	done

# govulncheck needs the vulnerability database (and the module proxy to
# fetch the pinned tool). Offline (CI has no network) it is skipped with a
# message instead of failing; a real finding still fails the target.
# vulncheck-if-db runs govulncheck in make test only when GOVULNDB names a
# database (a file:// copy): this workplace has no route to vuln.go.dev, and
# a lookup that cannot succeed is noise. `make vulncheck` always tries.
vulncheck-if-db:
	@if [ -n "$(VULNDB_SET)" ]; then $(MAKE) --no-print-directory vulncheck; \
	else echo "vulncheck: skipped (set GOVULNDB=file:///path/to/vulndb, or run 'make vulncheck' with network access)"; fi

vulncheck:
	@out=$$($(GO) run $(GOVULNCHECK) -db $(GOVULNDB) ./... 2>&1); rc=$$?; \
	if [ $$rc -ne 0 ] && printf '%s' "$$out" | grep -qE 'fetching vulnerabilities|dial tcp|no such host|connection refused|i/o timeout|network is unreachable'; then \
		printf '%s\n' "$$out" | tail -3; \
		echo "vulncheck: SKIPPED: the vulnerability database $(GOVULNDB) (or the module proxy) is unreachable; run 'make vulncheck' with network access or GOVULNDB=file:///path/to/vulndb"; \
	else \
		printf '%s\n' "$$out"; exit $$rc; \
	fi

# make bench: the Go benchmarks under bench/ (go test -bench), then the
# Nexmark suite (bench/nexmark, `streamdb bench nexmark --suite`): every
# query as a view and as a black-hole sink with checkpoints every 10 s
# (BENCH_EVENTS events, a fifth for the heavy queries), q0/q17/q20 again
# at 1 s, recovery (q20, BENCH_RECOVERY_EVENTS before the kill -9; local
# and store restore), freshness and serving (next to PostgreSQL 15).
# Writes $(BENCH_OUT)/results.json, results.md and throughput.svg; about
# 20-30 minutes on 2 cores at the defaults.
BENCH_EVENTS          ?= 1000000
BENCH_RECOVERY_EVENTS ?= 1000000
BENCH_OUT             ?= docs/bench
BENCH_FLAGS           ?=
bench: build
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./bench/...
	$(BIN) bench nexmark --suite --events $(BENCH_EVENTS) --recovery local,store \
		--recovery-events $(BENCH_RECOVERY_EVENTS) --freshness --serving --out $(BENCH_OUT) $(BENCH_FLAGS)

lint:
	$(GO) test -count=1 ./internal/lint

clean:
	rm -rf bin
