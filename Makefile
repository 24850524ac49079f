# ringsfu — `make test` runs every test, as CI does.
GO ?= go
FUZZTIME ?= 10s

.PHONY: test test-go fuzz vet build run test-browser

test: vet test-go fuzz test-browser

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1)
	$(GO) vet ./...

test-go:
	$(GO) test -race -count=1 -timeout 20m ./...

# Bounded fuzzing of the message decoder (the corpus also runs in test-go).
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecodeMessage$$' -fuzztime $(FUZZTIME) ./signaling/

build:
	$(GO) build -o ringsfu ./cmd/ringsfu

run:
	$(GO) run ./cmd/ringsfu

# End-to-end tests of the JS SDK in real headless Chromium (Debian's
# /usr/bin/chromium; see webclient/test). The server binary is built once per
# run and shared by every test file through RINGSFU_BIN.
test-browser:
	@test -d webclient/test/node_modules || (cd webclient/test && npm ci --no-audit --no-fund)
	@set -e; d=$$(mktemp -d); trap 'rm -rf "$$d"' EXIT; \
	$(GO) build -o "$$d/ringsfu" ./cmd/ringsfu; \
	$(GO) build -o "$$d/member" ./signaling/client/example/member; \
	cd webclient/test && RINGSFU_BIN="$$d/ringsfu" RINGSFU_MEMBER_BIN="$$d/member" node --test --test-concurrency=1 *.test.js
