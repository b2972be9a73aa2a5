# OpenOSD — the two commands of the quick start are `make demo` and `make test`.
# Each installs what it needs first (npm packages; Debian packages once later issues need them).

SHELL := /bin/bash
NPM_FLAGS := --no-audit --no-fund --loglevel=error

.PHONY: all deps build test demo bench bench-all run-benches typecheck lint clean

all: build

# Node.js check + npm packages (reinstalled when package.json or the lock file changes), then the
# Debian packages of the storage layer (installed when run as root) and the native ntfsmkdir and ntfsfs helpers.
deps: node_modules/.openosd-installed
	@scripts/system-packages.sh

node_modules/.openosd-installed: package.json package-lock.json
	@scripts/check-node.sh
	@if [ -f package-lock.json ]; then npm ci $(NPM_FLAGS); else npm install $(NPM_FLAGS); fi
	@touch $@

build: deps dist/console/index.html
	@npx tsc -p tsconfig.build.json
	@# `npx osd …` from the checkout: link our own bin where npx looks for it.
	@mkdir -p node_modules/.bin && ln -sf ../../bin/osd.js node_modules/.bin/osd

# The web console (docs/console.md): built by Vite into dist/console when its sources or the packages change.
CONSOLE_SOURCES := $(shell find console -not -path '*/node_modules/*' 2>/dev/null)
dist/console/index.html: $(CONSOLE_SOURCES) package-lock.json | deps
	@npx vite build console --logLevel warn

typecheck: deps
	@npx tsc -p tsconfig.json --noEmit
	@npx tsc -p console/tsconfig.json --noEmit
	@npx tsc -p tsconfig.console-tests.json

# ESLint (correctness rules; typescript-eslint without type information, so it is quick) and
# Prettier's check (formatting: `npx prettier --write` fixes it).
lint: deps
	@npx eslint --max-warnings 0 src test bench console
	@npx prettier --check --log-level warn $(FORMATTED)

FORMATTED := "src/**/*.ts" "test/**/*.ts" "bench/**/*.mjs" "scripts/**/*.mjs" eslint.config.js vitest.config.ts "console/src/**/*.{ts,tsx,css}" console/vite.config.ts

test: build typecheck lint
	@node scripts/run-tests.mjs

demo: build
	@scripts/demo.sh

# Benchmarks (docs/benchmarks.md): each alternates its baseline and ours, A B A B, at least five
# pairs (OSD_BENCH_PAIRS=N), prints min / median / max of the ratio and writes .tmp/bench/NAME.json;
# `node bench/compare.mjs OLD NEW` compares two runs. `bench` runs those that need neither a VM nor a
# browser nor the network; `bench-all` the others too (QEMU, Chromium, the Debian mirror). A failing
# benchmark does not stop the others; the target fails at the end, naming it.
BENCHES := round-trip engine task-sequence-hostile cli api collections dp lab userstate fleet
BENCHES_ALL := $(BENCHES) bootenv-build netboot netboot-apply console-load console-editor console-devices
bench: build
	@$(MAKE) --no-print-directory run-benches RUN_BENCHES="$(BENCHES)"
bench-all: build
	@$(MAKE) --no-print-directory run-benches RUN_BENCHES="$(BENCHES_ALL)"
run-benches:
	@mkdir -p .tmp/bench; failed=; \
	for b in $(RUN_BENCHES); do \
	  [ -f bench/$$b.bench.mjs ] || { echo "== $$b: bench/$$b.bench.mjs is missing"; failed="$$failed $$b"; continue; }; \
	  echo "== $$b"; node bench/$$b.bench.mjs || failed="$$failed $$b"; echo; \
	done; \
	echo "results: .tmp/bench/*.json (keep a copy, e.g. cp -r .tmp/bench .tmp/bench-before, then: node bench/compare.mjs .tmp/bench-before .tmp/bench)"; \
	if [ -n "$$failed" ]; then echo "failed:$$failed"; exit 1; fi

clean:
	rm -rf dist .tmp
