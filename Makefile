# streamdb build, run and test entry points. `make test` is what CI runs
# (.ci/run); it installs the client programs the tests drive when missing.

GO          ?= go
export CGO_ENABLED := 1
BIN         := bin/streamdb
TEST_TIMEOUT ?= 15m
FUZZTIME    ?= 5s
# Debian installs need root; use sudo when we are not root and it exists.
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build run test test-deps vet unit fuzz-smoke bench lint clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/streamdb

# Starts the server on the embedded defaults: pgwire 127.0.0.1:5544,
# HTTP 127.0.0.1:5545, data in ./streamdb-data.
run: build
	./$(BIN) serve

# test-deps installs psql and psycopg2 (for /usr/bin/python3) from Debian
# when they are missing; nothing is done when they are present.
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

vet:
	$(GO) vet ./...

unit:
	$(GO) test -timeout $(TEST_TIMEOUT) ./...

# Every Go fuzz target also runs its seed corpus in `go test`; test runs
# that plus go vet. fuzz-smoke additionally fuzzes each target briefly.
test: test-deps vet unit

# Finds fuzz targets by name (func FuzzX in _test.go files) rather than by
# compiling every package's tests.
fuzz-smoke:
	@set -e; for dir in $$(grep -rl --include='*_test.go' '^func Fuzz' . | xargs -n1 dirname | sort -u); do \
		for target in $$(grep -h --include='*_test.go' -o '^func Fuzz[A-Za-z0-9_]*' $$dir/*_test.go | sed 's/^func //'); do \
			echo "fuzz $$dir $$target ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) $$dir; \
		done; \
	done

bench:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./bench/...

lint:
	$(GO) test -count=1 ./internal/lint

clean:
	rm -rf bin
