#!/usr/bin/env bash
# OpenOSD needs Node.js 20.19 or newer (vite 8 / vitest 4 engines) and npm 10+.
set -euo pipefail
if ! command -v node >/dev/null 2>&1; then
  echo "OpenOSD needs Node.js 20.19 or newer, and 'node' is not on PATH." >&2
  echo "  Debian 12: install Node.js 20 (e.g. from the nodejs package of your distribution or NodeSource), then run make again." >&2
  exit 2
fi
v=$(node -p 'process.versions.node')
major=${v%%.*}; rest=${v#*.}; minor=${rest%%.*}
if (( major < 20 || (major == 20 && minor < 19) )); then
  echo "OpenOSD needs Node.js 20.19 or newer; this machine has $v." >&2
  exit 2
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "OpenOSD needs npm (it comes with Node.js); 'npm' is not on PATH." >&2
  exit 2
fi
