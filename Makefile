# stompbox — build, run and test.
#
#   make          build bin/stompbox (the default)
#   make run      build, then serve http://localhost:8080
#   make deps     install missing Debian and npm packages (scripts/deps.sh)
#   make test     deps, build, go vet, go test -race, Node end-to-end tests
#   make bench    frame benchmarks

SHELL := bash
.SHELLFLAGS := -euo pipefail -c

GO      ?= go
NODE    ?= node
BIN     := bin/stompbox
VENDOR  := web/static/vendor
STOMPJS := node_modules/@stomp/stompjs/bundles/stomp.umd.min.js

.DEFAULT_GOAL := build

.PHONY: build run deps npm-deps vendor test vet gotest e2e bench clean

build: vendor
	$(GO) build -o $(BIN) ./cmd/stompbox

run: build
	./$(BIN)

deps:
	bash scripts/deps.sh

npm-deps:
	bash scripts/deps.sh --npm-only

# The stompjs browser bundle is copied from node_modules, never committed
# and never loaded from a CDN; it is embedded into the binary by package web.
vendor: npm-deps
	mkdir -p $(VENDOR)
	cp $(STOMPJS) $(VENDOR)/stomp.umd.min.js

test: deps build
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	$(NODE) --test --test-concurrency=1 test/e2e/*.test.mjs

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./frame/

clean:
	rm -rf bin $(VENDOR) test-results
