# MeshHold — `make help` lists the targets.
SHELL := /bin/bash
GO ?= go
BIN := bin/meshhold
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X main.version=$(VERSION)
TEST_FLAGS ?= -race -count=1 -timeout 15m

.PHONY: help build run test verify proto bench clean

help: ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

build: ## build bin/meshhold
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/meshhold

run: build ## start a daemon on the defaults (~/.meshhold/config.yaml, created on first start)
	./$(BIN) daemon $(ARGS)

verify: ## gofmt, go vet, go.mod tidy, generated code fresh
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff
	$(GO) run ./cmd/protogen -check

test: verify ## verify, then every test (unit, end-to-end with the real binary)
	$(GO) test $(TEST_FLAGS) ./...

proto: ## regenerate messages/*/*.pb.go from the .proto files (no system protoc needed)
	$(GO) run ./cmd/protogen

bench: ## benchmarks with their anchors, side by side, ratios reported (docs/benchmarks.md)
	@command -v wrk >/dev/null || { echo "installing wrk (Debian package) for the HTTP benchmark"; apt-get install -y wrk >/dev/null || echo "could not install wrk: the HTTP benchmark will skip"; }
	$(GO) test -run '^$$' -bench GroupCommit -benchtime 5000x ./actors/node
	$(GO) test -run '^$$' -bench PublishDeliver -benchtime 500000x ./bus/natsbus
	$(GO) test -run '^$$' -bench DaemonStart -benchtime 5x ./cmd/meshhold
	$(GO) test -run '^$$' -bench 'WhoamiVsBare' -benchtime 1x ./cmd/meshhold
	$(GO) test -run '^$$' -bench 'WhoamiInProcess' -benchtime 3s ./cmd/meshhold
	$(GO) test -run '^$$' -bench Fanout -benchtime 1x ./http/stream
	$(GO) test -run '^$$' -bench AuditedMutations -benchtime 33000x ./actors/audit
	@command -v nginx >/dev/null || apt-get install -y nginx >/dev/null || echo "no nginx: its download anchor will skip"
	$(GO) test -run '^$$' -bench 'IngestPipeline|DownloadVsServeFile|IngestPeakRSS' -benchtime 1x ./http/files
	$(GO) test -run '^$$' -bench 'Upload1GiB$$|Upload4GiBPeakRSS$$|SmallFiles$$|ListFolder$$' -benchtime 1x -timeout 60m ./cmd/meshhold
	$(GO) test -run '^$$' -bench . ./persist/...
	$(GO) test -run '^$$' -bench Replicate -benchtime 1x ./p2p/blocks
	@command -v iperf3 >/dev/null || { echo "installing iperf3 (Debian package) for the mesh speed-test anchor"; DEBIAN_FRONTEND=noninteractive apt-get install -y iperf3 >/dev/null || echo "could not install iperf3: the speed-test benchmark will skip"; }
	$(GO) test -run '^$$' -bench 'SpeedtestVsIperf3|JoinTenNodeMesh' -benchtime 3x ./cmd/meshhold
	$(GO) test -run '^$$' -bench 'Replicate1GiB|RF3OnFourNodes|SmallFilesToRF2' -benchtime 1x -timeout 60m ./cmd/meshhold
	$(GO) test -run '^$$' -bench 'S3VsREST' -benchtime 1x -timeout 30m ./cmd/meshhold
	$(GO) test -run '^$$' -bench 'Chat' -benchtime 1x -timeout 30m ./cmd/meshhold

clean: ## remove build output
	rm -rf bin

.PHONY: sim
SEEDS ?= 1000
SEEDBASE ?= $(shell date +%s)
SIMFLAGS ?=
sim: ## simulations: SEEDS seeds (1000) of each scenario from SEEDBASE (the clock); prints seeds/minute
	@report=$$(mktemp); \
	SIM_REPORT=$$report $(GO) test -count=1 -timeout 0 -run '^(TestVaultCore|TestWholeNode|TestGossipNet|TestVaultSync|TestRoomSync)$$' \
	  ./simulations/scenarios -seeds=$(SEEDS) -seedbase=$(SEEDBASE) $(SIMFLAGS); status=$$?; \
	echo "seeds per minute (each seed played twice), from seed $(SEEDBASE):"; cat $$report; rm -f $$report; exit $$status
