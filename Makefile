# stompbox — build, run and test.
#
#   make          build the web app (web/app -> web/dist) and bin/stompbox (the default)
#   make run      build, then serve http://localhost:8080
#   make deps     install missing Debian and npm packages (scripts/deps.sh)
#   make test     deps, build, go vet, go test -race, short fuzz runs,
#                 the hostile suite, a short scale run, stomp.py interop tests, the web app's component tests
#                 (Vitest), Node and Chromium end-to-end tests
#   make hostile  the hostile-load suite against bin/stompbox (< 3 min)
#   make soak     the same cases, ten times longer (HOSTILE_SCALE=10)
#   make scale    one node against two through RabbitMQ, and broker
#                 connections with 5,000 clients (test-results/scale.md)
#   make fuzz     fuzz the frame reader and a session (FUZZTIME=15s)
#   make bench    frame benchmarks
#   make bench-smoke  stompbench against bin/stompbox for 2 s: nothing lost
#   make bench-compare  stompbox, bin/refserver and RabbitMQ Web-STOMP under the
#                 same loads: docs/benchmarks.md and its charts (about 5 min)
#   make screenshot  docs/screenshot.png from a scripted chat in Chromium

SHELL := bash
.SHELLFLAGS := -euo pipefail -c

GO      ?= go
NODE    ?= node
# Debian's python3, which sees the python3-stomp package (a pyenv or venv
# python3 on PATH would not).
PYTHON  ?= /usr/bin/python3
BIN     := bin/stompbox
VENDOR  := web/classic/vendor
STOMPJS := node_modules/@stomp/stompjs/bundles/stomp.umd.min.js

.DEFAULT_GOAL := build

.PHONY: build run deps npm-deps vendor web screenshot test vet gotest fuzz interop e2e bench bench-smoke bench-compare hostile soak scale clean

build: vendor web
	$(GO) build -o $(BIN) ./cmd/stompbox
	$(GO) build -o bin/parity ./examples/parity
	$(GO) build -o bin/services ./test/services
	$(GO) build -o bin/stompbench ./cmd/stompbench
	$(GO) build -o bin/refserver ./cmd/refserver

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

# The Vue app, built by Vite into web/dist, which package web embeds. It is
# rebuilt only when a file under web/app or the lockfile changed.
APP_SRC := $(shell find web/app -type f -not -path '*/node_modules/*' 2>/dev/null) package-lock.json
web: web/dist/index.html

web/dist/index.html: $(APP_SRC) | npm-deps
	find web/dist -mindepth 1 ! -name .gitkeep -delete
	npm run --silent build:web

test: deps build
	$(GO) vet ./...
	STOMPBOX_REQUIRE_POSTGRES=1 STOMPBOX_REQUIRE_RABBITMQ=1 $(GO) test -race -count=1 ./...
	$(MAKE) --no-print-directory fuzz
	STOMPBOX_REQUIRE_RABBITMQ=1 $(MAKE) --no-print-directory hostile
	$(MAKE) --no-print-directory scale SCALE_SECONDS=2
	$(MAKE) --no-print-directory bench-smoke
	$(MAKE) --no-print-directory interop
	npm run --silent test:web
	$(NODE) --test --test-concurrency=1 test/e2e/*.test.mjs

# Attacks on a running bin/stompbox, each beside a bystander who must keep
# chatting; resources must come back near their baseline. Its table goes to
# test-results/hostile.md. Needs `make build` first.
HOSTILE_SCALE ?= 1
hostile:
	STOMPBOX_HOSTILE=1 HOSTILE_SCALE=$(HOSTILE_SCALE) STOMPBOX_BIN=$(CURDIR)/$(BIN) \
		$(GO) test -count=1 -v -timeout 30m ./test/hostile/

soak:
	$(MAKE) --no-print-directory hostile HOSTILE_SCALE=10

# One node against two through RabbitMQ, and broker connections with 5,000
# clients (issue 9); writes test-results/scale.md. Needs `make build` first.
SCALE_SECONDS ?= 10
scale:
	STOMPBOX_SCALE=1 SCALE_SECONDS=$(SCALE_SECONDS) STOMPBOX_BIN=$(CURDIR)/$(BIN) $(GO) test -count=1 -v -timeout 30m ./test/scale/

# stomp.py (Debian's python3-stomp) against bin/stompbox over TCP, STOMP
# 1.0, 1.1 and 1.2. Needs `make deps` and `make build` first.
interop:
	PYTHONDONTWRITEBYTECODE=1 $(PYTHON) -m unittest discover -s test/interop/python -v

# A short fuzz of the frame reader and of a session in CI; run longer with
# make fuzz FUZZTIME=10m.
FUZZTIME ?= 15s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzReader -fuzztime $(FUZZTIME) ./frame/
	$(GO) test -run '^$$' -fuzz FuzzSession -fuzztime $(FUZZTIME) ./server/

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./frame/

# stompbench against bin/stompbox for two seconds: exits non-zero on any
# lost, duplicated or refused message or failed connection; no timing is
# asserted. Needs `make build` first.
bench-smoke:
	d=$$(mktemp -d); \
	./$(BIN) -addr 127.0.0.1:0 -data $$d 2>$$d/log & pid=$$!; \
	trap 'kill $$pid; wait $$pid || true; rm -rf $$d' EXIT; \
	addr=; for i in $$(seq 100); do \
		addr=$$(sed -n 's/.*msg=listening addr=\([^ ]*\).*/\1/p' $$d/log); \
		[ -n "$$addr" ] && break; sleep 0.1; \
	done; \
	bin/stompbench -url ws://$$addr/chat-app -subs 50 -pubs 5 -rooms 2 -rate 20 -duration 2s -pid $$pid

screenshot: build
	$(NODE) scripts/screenshot.mjs

clean:
	rm -rf bin $(VENDOR) test-results
	find web/dist -mindepth 1 ! -name .gitkeep -delete

# stompbox, the reference server and RabbitMQ Web-STOMP under the same
# loads, each server pinned to CPU 0 and stompbench to CPU 1; rewrites
# docs/benchmarks.md and its charts (docs/bench-*.svg) in about five
# minutes. Needs `make build` and RabbitMQ (`make deps`) first.
BENCH_COMPARE_FLAGS ?=
bench-compare:
	$(GO) build -o bin/stompbench ./cmd/stompbench
	$(GO) build -o bin/refserver ./cmd/refserver
	$(GO) build -o bin/parity ./examples/parity
	$(GO) run ./cmd/benchcompare $(BENCH_COMPARE_FLAGS)
