# OpenOSD — the two commands of the quick start are `make demo` and `make test`.
# Each installs what it needs first (npm packages; Debian packages once later issues need them).

SHELL := /bin/bash
NPM_FLAGS := --no-audit --no-fund --loglevel=error

.PHONY: all deps build test demo bench typecheck lint clean

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

bench: build
	@node bench/round-trip.bench.mjs
	@echo
	@node bench/engine.bench.mjs
	@echo
	@node bench/lab.bench.mjs
	@echo
	@node bench/dp.bench.mjs
	@echo
	@node bench/collections.bench.mjs
	@echo
	@node bench/api.bench.mjs
	@echo
	@node bench/fleet.bench.mjs

clean:
	rm -rf dist .tmp
