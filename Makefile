# hookgen — developer tasks. `make help` lists them.
GO        ?= go
GOFLAGS   ?=
PKGS      := ./...
BIN       := bin
GOLANGCI_VERSION := v2.15.0
# The race detector needs cgo and a C compiler; without one (a machine with
# only Go) the tests still run, without -race.
RACE      ?= $(shell [ "$$($(GO) env CGO_ENABLED)" = 1 ] && command -v "$$($(GO) env CC)" >/dev/null 2>&1 && echo -race)

# Generated code is written by the CLI built from this tree (not through
# go generate or go test, which need the stale code to compile first).
FAMILIES  := stackstate atscale butler netpulse clcbackup
GOLDEN    := stackstate303 billing31 mixedsec
# examples/ticketing is the output of 'hookgen scaffold ticketing' (its own module).
TICKETING := stackstate,clcbackup,butler,netpulse,atscale

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN{FS=":.*## "} /^[a-zA-Z_-]+:.*## /{printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build the hookgen CLI into bin/
	$(GO) build -o $(BIN)/hookgen ./generator/cmd/hookgen

.PHONY: test
test: ## run every test, with the race detector when a C compiler is present (services are skipped when absent)
	$(GO) test $(RACE) -count=1 -timeout 40m $(PKGS)

.PHONY: vet
vet: ## go vet
	$(GO) vet $(PKGS)

.PHONY: lint
lint: vet ## go vet plus golangci-lint (installed into bin/ by this target)
	@test -x $(BIN)/golangci-lint || GOBIN=$(CURDIR)/$(BIN) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)
	$(BIN)/golangci-lint run --allow-parallel-runners $(PKGS)

.PHONY: generate
generate: ## regenerate examples/ and golden files from openapi/
	$(GO) build -o $(BIN)/hookgen ./generator/cmd/hookgen
	for f in $(FAMILIES); do $(BIN)/hookgen generate -q -spec openapi/$$f.yaml -package $$f -out examples/$$f; done
	for c in $(GOLDEN); do $(BIN)/hookgen generate -q -spec generator/testdata/$$c/openapi.yaml -package out -out generator/testdata/$$c/out; done
	$(BIN)/hookgen scaffold ticketing -q -force -families $(TICKETING) -tracker redmine -module example.com/alerts -out examples/ticketing -hookgen .

.PHONY: check-generated
check-generated: generate ## fail when checked-in generated code is stale
	@git diff --exit-code -- examples generator/testdata || { echo "generated code is stale: run 'make generate' and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- examples generator/testdata)" || { git status --porcelain -- examples generator/testdata; echo "generated code is stale: run 'make generate' and commit"; exit 1; }

.PHONY: tidy-check
tidy-check: ## fail when go.mod or go.sum are not what `go mod tidy` makes them
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum are not tidy: run 'go mod tidy' and commit"; exit 1; }

.PHONY: demo
demo: generate ## the main job: generate receivers, serve them on the embedded store, replay every vendor example
	$(GO) run ./internal/demo

.PHONY: test-ticketing
test-ticketing: ## build and test examples/ticketing, the scaffolded module, on this checkout
	cd examples/ticketing && GOWORK=off $(GO) vet ./... && GOWORK=off $(GO) test -count=1 ./...

# The benchmark harness is its own module (internal/bench) so that its peers'
# dependencies stay out of the library; wrk comes from the distribution.
BENCHFLAGS ?=
WRK_INSTALL := command -v wrk >/dev/null 2>&1 || { echo "installing wrk (apt-get install -y wrk)"; \
	SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); $$SUDO apt-get install -y wrk >/dev/null 2>&1 || \
	{ $$SUDO apt-get update >/dev/null && $$SUDO apt-get install -y wrk >/dev/null; }; }

.PHONY: bench
bench: ## the benchmark: every receiver under wrk and vegeta, 3 alternating rounds, micro-benchmarks; writes internal/bench/BENCHMARKS.md (~20 min)
	@$(WRK_INSTALL)
	cd internal/bench && BENCH_COMMAND="make bench$(if $(BENCHFLAGS), BENCHFLAGS='$(BENCHFLAGS)')" $(GO) run ./cmd/benchrun -write BENCHMARKS.md $(BENCHFLAGS)

.PHONY: bench-smoke
bench-smoke: ## the harness's tests and a short run that proves it works (no timing is asserted)
	@$(WRK_INSTALL)
	cd internal/bench && $(GO) mod tidy -diff && $(GO) vet ./... && $(GO) test -count=1 ./...
	cd internal/bench && BENCH_COMMAND="make bench-smoke" $(GO) run ./cmd/benchrun -smoke

.PHONY: ci
ci: tidy-check lint test test-ticketing check-generated ## what .ci/run runs
