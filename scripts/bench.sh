#!/usr/bin/env bash
# Quick start #1: install what is missing, build in build/, and run
# `pktlink bench` with the reference peers (DPDK, libpcap), interleaved.
# Needs root (it creates a private network namespace; nothing outside it is
# touched). Takes a few minutes (3 interleaved rounds of 1 s per scenario;
# bench/compare.sh does 5 rounds of 2 s for the published comparison).
# Extra arguments go to `pktlink bench`,
# e.g. `bash scripts/bench.sh --scenarios mmap --runs 3`.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
  echo "scripts/bench.sh: run as root (pktlink bench creates a network namespace)" >&2
  exit 1
fi
bash scripts/deps.sh
jobs=$(nproc)
echo "== configure and build (build/, log in build/bench-build.log)"
mkdir -p build
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >build/bench-build.log 2>&1 ||
  { cat build/bench-build.log; exit 1; }
# Only the tool and the peers (bench_peers: every peer bench/ could build
# here); the test suite is scripts/test.sh's job.
targets=(pktlink_tool)
# (into a variable first: `grep -q` closing the pipe early would fail the
# pipeline under pipefail)
known=$(cmake --build build --target help 2>/dev/null || true)
if grep -qw bench_peers <<<"$known"; then targets+=(bench_peers); fi
cmake --build build -j"$jobs" --target "${targets[@]}" >>build/bench-build.log 2>&1 ||
  { tail -50 build/bench-build.log; exit 1; }
echo "== load: $(cut -d' ' -f1-3 /proc/loadavg) (other work on these CPUs makes the figures noisy)"
peers=()
[ ${#targets[@]} -gt 1 ] && peers=(--peers)  # rows of peers that could not be built are skipped
exec build/pktlink bench "${peers[@]}" --runs 3 --duration 1 "$@"
