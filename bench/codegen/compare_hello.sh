#!/usr/bin/env bash
# Generated `examples/hello.vr` server vs the hand-written
# `examples/python/hello.py`, same run: server on core 0, wrk on core 1,
# 64 connections, 2 s warm-up + 5 s measured, 3 alternating runs each.
# Usage: bash bench/codegen/compare_hello.sh   (from the repository root)
set -euo pipefail
cd "$(dirname "$0")/../.."
PORT=${PORT:-18601}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
.venv/bin/weftc build examples/hello.vr -o "$OUT" >/dev/null 2>&1
run() {
  local name=$1; shift
  "$@" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && break; sleep 0.1; done
  taskset -c 1 wrk -t1 -c64 -d2s "http://127.0.0.1:$PORT/" >/dev/null
  echo "$name $(taskset -c 1 wrk -t1 -c64 -d5s "http://127.0.0.1:$PORT/" | awk '/Requests\/sec/ {print $2}')"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
}
for _ in 1 2 3; do
  run generated env PYTHONPATH="$OUT" taskset -c 0 .venv/bin/python -m hello --bind "127.0.0.1:$PORT"
  run handwritten taskset -c 0 .venv/bin/python examples/python/hello.py --bind "127.0.0.1:$PORT"
done
