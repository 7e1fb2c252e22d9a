#!/usr/bin/env bash
# The interleaved peer comparison: pktlink's fd modes against DPDK's
# net_af_packet / net_tap PMDs and libpcap, same namespace, same generator,
# runs interleaved A B C A B C ... (RUNS rounds), medians and per-round
# ratios. Prints the table and keeps the JSON next to it.
#
#   bash bench/compare.sh [build dir] [extra pktlink bench options]
#   RUNS=7 DURATION=2 bash bench/compare.sh build --scenarios 'packet-mmap*,dpdk-af_packet*'
#
# Needs root. Build first (scripts/bench.sh does both).
set -euo pipefail
cd "$(dirname "$0")/.."
build=build
if [ $# -gt 0 ] && [ -d "$1" ]; then build=$1; shift; fi
runs=${RUNS:-5}
dur=${DURATION:-2}
bin=$build/pktlink
[ -x "$bin" ] || { echo "bench/compare.sh: $bin not found: build first (bash scripts/bench.sh)" >&2; exit 1; }
for p in dpdk_peer pcap_peer; do
  [ -x "$build/bench/$p" ] || echo "bench/compare.sh: note: $build/bench/$p not built; its rows are skipped" >&2
done
out=${OUT:-$build/bench-compare-$(date -u +%Y%m%dT%H%M%SZ)}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$bin" bench --peers --runs "$runs" --duration "$dur" --json-out "$out.json" "$@" | tee "$out.txt"
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
echo "saved: $out.txt $out.json"
