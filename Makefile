# ringsfu — `make test` runs every test, as CI does.
GO ?= go
FUZZTIME ?= 10s

.PHONY: test test-go fuzz vet build run

test: vet test-go fuzz

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
