# ringsfu — `make test` runs every test, as CI does.
GO ?= go
FUZZTIME ?= 10s

.PHONY: test test-go fuzz vet build run test-browser deps-browser deps-redis

test: vet test-go fuzz test-browser

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1)
	$(GO) vet ./...

# The cluster tests start their own redis-server (room/cluster/redistest).
test-go: deps-redis
	$(GO) test -race -count=1 -timeout 20m ./...

# Bounded fuzzing of the message decoder (the corpus also runs in test-go).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeMessage$$' -fuzztime $(FUZZTIME) ./signaling/

build:
	$(GO) build -o ringsfu ./cmd/ringsfu

run:
	$(GO) run ./cmd/ringsfu

# Debian's Chromium, installed when missing (as root, or through sudo).
deps-browser:
	@command -v chromium >/dev/null || { s=; [ "$$(id -u)" = 0 ] || s=sudo; \
	  $$s apt-get update && DEBIAN_FRONTEND=noninteractive $$s apt-get install -y --no-install-recommends chromium; }

# Debian's redis-server, installed when missing (as root, or through sudo);
# the tests start their own instances on free loopback ports.
deps-redis:
	@command -v redis-server >/dev/null || { s=; [ "$$(id -u)" = 0 ] || s=sudo; \
	  $$s apt-get update && DEBIAN_FRONTEND=noninteractive $$s apt-get install -y --no-install-recommends redis-server; }

# End-to-end tests of the JS SDK in real headless Chromium (Debian's
# /usr/bin/chromium; see webclient/test). The server binary is built once per
# run and shared by every test file through RINGSFU_BIN.
test-browser: deps-browser
	@test -d webclient/test/node_modules || (cd webclient/test && npm ci --no-audit --no-fund)
	@set -e; d=$$(mktemp -d); trap 'rm -rf "$$d"' EXIT; \
	$(GO) build -o "$$d/ringsfu" ./cmd/ringsfu; \
	$(GO) build -o "$$d/member" ./signaling/client/example/member; \
	cd webclient/test && RINGSFU_BIN="$$d/ringsfu" RINGSFU_MEMBER_BIN="$$d/member" node --test --test-concurrency=1 *.test.js

# The three standard workloads of the README's Performance table, each
# against a fresh server on loopback (W1 fan-out, W2 audio, W3 small calls).
# Override DURATION or add LOADFLAGS (e.g. LOADFLAGS=--json).
DURATION ?= 20s
.PHONY: perf perf-w1 perf-w2 perf-w3
perf: perf-w1 perf-w2 perf-w3
perf-w1:
	@$(MAKE) --no-print-directory perf-run NAME=W1 ARGS="--calls 1 --members 401 --publishers 1 --video simulcast --audio"
perf-w2:
	@$(MAKE) --no-print-directory perf-run NAME=W2 ARGS="--calls 1 --members 210 --publishers 10 --video none --audio"
perf-w3:
	@$(MAKE) --no-print-directory perf-run NAME=W3 ARGS="--calls 20 --members 2 --publishers 2 --video simulcast --audio"
perf-run:
	@set -e; d=$$(mktemp -d); trap 'kill $$pid 2>/dev/null; rm -rf "$$d"' EXIT; \
	$(GO) build -o "$$d/ringsfu" ./cmd/ringsfu; \
	"$$d/ringsfu" --listen 127.0.0.1:18787 --udp-port 18788 --log-level warn & pid=$$!; \
	for i in $$(seq 50); do curl -fs http://127.0.0.1:18787/healthz >/dev/null && break; sleep 0.1; done; \
	echo "== $(NAME): $(ARGS)"; \
	"$$d/ringsfu" load --url ws://127.0.0.1:18787/v1/signal --server-pid $$pid --duration $(DURATION) --ramp 100 $(ARGS) $(LOADFLAGS)
