# ringsfu — `make test` runs every test, as CI does.
GO ?= go
FUZZTIME ?= 6s

.PHONY: test test-go test-relay fuzz vet build run test-browser deps-browser deps-redis deps-postgres soak soak-short fuzz-and-soak \
	test-cluster-contract test-cluster-contract-ci signaling-modes

test: vet test-go signaling-modes fuzz-and-soak test-browser

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1)
	$(GO) vet ./...

# The cluster tests start their own redis-server (room/cluster/redistest),
# the call history tests their own PostgreSQL (room/history/pgtest).
test-go: deps-redis deps-postgres
	$(GO) test -race -count=1 -timeout 20m ./...

# The whole-server media tests again with every Pion member forced through
# the embedded TURN server named in its hello result (ICE transport policy
# relay), as the independent suites run them (signaling/relay_harness_test.go).
test-relay:
	RINGSFU_TEST_RELAY=1 $(GO) test -race -count=1 -timeout 10m -run 'Media|Reset|Layers|Simulcast' ./signaling/

# The single-node signaling contract (signaling/*_test.go) against a
# cluster: CLUSTER_NODES in-process servers on one private redis-server,
# each WebSocket dialled to the next node in turn (round robin, no sticky
# sessions). test-cluster-contract runs every test (about 5 minutes);
# `make test` runs the representative subset below, one test per scenario
# family that crosses nodes (about a minute under -race).
CLUSTER_NODES ?= 3
CLUSTER_CONTRACT_TESTS = TestInviteAcceptFlow TestSeveralDevicesRingAndFirstAnswerWins \
	TestRejectOnOneDeviceRejectsEverywhere TestCreatingAnotherCallRejectsWaitingInvitationAsBusy \
	TestDeviceCapEndsTheOldestSession TestCallSizeCapRefusesGrowthAndChangesNothing TestRemoveKicksOut \
	TestSetDeviceAndRemoteDevice TestEndCallWhenInitiatorLeave TestBusyInviteeInCallAndRinging \
	TestGroupTimeoutOneEventPerInvite TestOfflineInviteeGetsPendingInvitation \
	TestResumeKeepsMembershipWithoutUserLeft TestResumeListsWaitingInvitations TestGlareMergesCrossingInvitations \
	TestGraceExpiryLeavesAsDisconnectedAndCancelsCallerGone TestCancelRules TestInviteInCallingPolicy \
	TestMediaTwoMembers TestMediaResetRequest TestGaugesReturnToZeroAfterEveryEnding
empty :=
space := $(empty) $(empty)
CLUSTER_CONTRACT_CI = ^($(subst $(space),|,$(strip $(CLUSTER_CONTRACT_TESTS))))$$
test-cluster-contract: deps-redis
	RINGSFU_TEST_CLUSTER_NODES=$(CLUSTER_NODES) $(GO) test -race -count=1 -timeout 30m ./signaling/
test-cluster-contract-ci: deps-redis
	RINGSFU_TEST_CLUSTER_NODES=$(CLUSTER_NODES) $(GO) test -race -count=1 -timeout 10m -run '$(CLUSTER_CONTRACT_CI)' ./signaling/

# The relay pass and the cluster pass are independent: run them side by side.
signaling-modes:
	@$(MAKE) --no-print-directory -j2 test-relay test-cluster-contract-ci

# Bounded fuzzing of every parser that reads bytes from the network, one
# target at a time (go test -fuzz takes one per run), FUZZTIME each; their
# seed corpora also run in test-go. A Fuzz function missing from the list
# fails the target.
FUZZ_TARGETS = \
	signaling:FuzzDecodeMessage signaling:FuzzVerifyToken \
	media:FuzzKeyframe media:FuzzRewriter \
	sfu:FuzzParseOffer sfu:FuzzWithGoogleBitrates sfu:FuzzSubscriberRTCP sfu:FuzzPublisherRTP
fuzz:
	@set -e; for f in $$(grep -rhoE '^func Fuzz[A-Za-z0-9_]+' --include='*_test.go' . | cut -d' ' -f2 | sort -u); do \
	  case " $(FUZZ_TARGETS) " in *":$$f "*) ;; *) echo "fuzz: $$f is not in FUZZ_TARGETS"; exit 1;; esac; done; \
	for t in $(FUZZ_TARGETS); do pkg=$${t%%:*}; name=$${t#*:}; \
	  echo "== fuzz $$name (./$$pkg, $(FUZZTIME))"; \
	  $(GO) test -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME) ./$$pkg/; \
	done

# The churn soak against a real server process (cmd/ringsfu TestSoak):
# SOAK_USERS users doing every signaling request type, media calls
# alongside, /metrics sampled, and a verdict on goroutines, live heap and
# every gauge returning to baseline. `make soak` is not part of `make test`;
# `make test` runs a 60-second soak, in parallel with the fuzzers (both
# bounded in time, so sharing the CPU only lowers their throughput).
SOAK_DURATION ?= 10m
SOAK_USERS ?= 200
soak:
	RINGSFU_SOAK=$(SOAK_DURATION) RINGSFU_SOAK_USERS=$(SOAK_USERS) $(GO) test -count=1 -timeout 0 -run '^TestSoak$$' -v ./cmd/ringsfu/
soak-short:
	@$(MAKE) --no-print-directory soak SOAK_DURATION=60s
fuzz-and-soak:
	@$(MAKE) --no-print-directory -j2 fuzz soak-short

build:
	$(GO) build -o ringsfu ./cmd/ringsfu

run:
	$(GO) run ./cmd/ringsfu

# Debian's Chromium (and openssl, which makes turn.test.js's certificate),
# installed when missing (as root, or through sudo).
deps-browser:
	@{ command -v chromium && command -v openssl; } >/dev/null || { s=; [ "$$(id -u)" = 0 ] || s=sudo; \
	  $$s apt-get update && DEBIAN_FRONTEND=noninteractive $$s apt-get install -y --no-install-recommends chromium openssl; }

# Debian's redis-server, installed when missing (as root, or through sudo);
# the tests start their own instances on free loopback ports.
deps-redis:
	@command -v redis-server >/dev/null || { s=; [ "$$(id -u)" = 0 ] || s=sudo; \
	  $$s apt-get update && DEBIAN_FRONTEND=noninteractive $$s apt-get install -y --no-install-recommends redis-server; }

# Debian's PostgreSQL server binaries, installed when missing; the call
# history tests run a throw-away cluster on a free loopback port.
deps-postgres:
	@ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || { s=; [ "$$(id -u)" = 0 ] || s=sudo; \
	  $$s apt-get update && DEBIAN_FRONTEND=noninteractive $$s apt-get install -y --no-install-recommends postgresql; }

# End-to-end tests of the JS SDK in real headless Chromium (Debian's
# /usr/bin/chromium; see webclient/test). The server binary is built once per
# run and shared by every test file through RINGSFU_BIN.
test-browser: deps-browser
	@test -x webclient/test/node_modules/.bin/tsc || (cd webclient/test && npm ci --no-audit --no-fund)
	@set -e; d=$$(mktemp -d); trap 'rm -rf "$$d"' EXIT; \
	$(GO) build -o "$$d/ringsfu" ./cmd/ringsfu; \
	$(GO) build -o "$$d/member" ./signaling/client/example/member; \
	cd webclient/test && RINGSFU_BIN="$$d/ringsfu" RINGSFU_MEMBER_BIN="$$d/member" node --test --test-concurrency=1 *.test.js

# The JS SDK's TypeScript declarations (webclient/static/sdk/types), generated
# from its JSDoc with the pinned typescript of webclient/test;
# sdk-types.test.js fails when they are stale.
.PHONY: sdk-types
sdk-types:
	@test -x webclient/test/node_modules/.bin/tsc || (cd webclient/test && npm ci --no-audit --no-fund)
	cd webclient/static/sdk && rm -rf types && ../../test/node_modules/.bin/tsc --allowJs --declaration --emitDeclarationOnly \
	  --target es2022 --module nodenext --moduleResolution nodenext --lib es2022,dom --outDir types ringsfu.js

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

# Signaling throughput (issue 8): the Call Kit flows flat out, as
# `ringsfu load --mode signaling`, against one node without Redis
# (perf-signal) and against three nodes on one private redis-server with
# the connections round-robin over the nodes (perf-cluster, which also
# reports Redis commands, round trips and CPU per flow cycle). FLOWS
# (default accept; or all), SIGNAL_GROUPS (default 128 groups of three
# connections), DURATION; LOADFLAGS=--json for the JSON report.
FLOWS ?= accept
SIGNAL_GROUPS ?= 128
.PHONY: perf-signal perf-cluster
perf-signal:
	@set -e; d=$$(mktemp -d); trap 'kill $$pid 2>/dev/null; rm -rf "$$d"' EXIT; \
	$(GO) build -o "$$d/ringsfu" ./cmd/ringsfu; \
	"$$d/ringsfu" --listen 127.0.0.1:18791 --udp-port 18792 --log-level warn >/dev/null & pid=$$!; \
	for i in $$(seq 50); do curl -fs http://127.0.0.1:18791/healthz >/dev/null && break; sleep 0.1; done; \
	"$$d/ringsfu" load --mode signaling --url ws://127.0.0.1:18791/v1/signal --server-pids $$pid \
	  --duration $(DURATION) --groups $(SIGNAL_GROUPS) --flows $(FLOWS) $(LOADFLAGS)
perf-cluster: deps-redis
	@set -e; d=$$(mktemp -d); pids=; rpid=; \
	trap 'kill $$pids 2>/dev/null; wait $$pids 2>/dev/null; kill $$rpid 2>/dev/null; rm -rf "$$d"' EXIT; \
	$(GO) build -o "$$d/ringsfu" ./cmd/ringsfu; \
	redis-server --port 18799 --bind 127.0.0.1 --save "" --appendonly no >/dev/null & rpid=$$!; \
	for i in $$(seq 50); do redis-cli -p 18799 ping >/dev/null 2>&1 && break; sleep 0.1; done; \
	for i in 1 2 3; do \
	  "$$d/ringsfu" --listen 127.0.0.1:1879$$i --udp-port 1880$$i --log-level warn \
	    --redis-url redis://127.0.0.1:18799/0 --node-id n$$i >/dev/null & pids="$$pids $$!"; \
	done; \
	for i in 1 2 3; do for k in $$(seq 50); do curl -fs http://127.0.0.1:1879$$i/healthz >/dev/null && break; sleep 0.1; done; done; \
	"$$d/ringsfu" load --mode signaling \
	  --urls ws://127.0.0.1:18791/v1/signal,ws://127.0.0.1:18792/v1/signal,ws://127.0.0.1:18793/v1/signal \
	  --server-pids $$(echo $$pids | tr ' ' ,) --redis-url redis://127.0.0.1:18799 \
	  --duration $(DURATION) --groups $(SIGNAL_GROUPS) --flows $(FLOWS) $(LOADFLAGS)
