#!/usr/bin/env bash
# TCP throughput of iperf2 (the kernel's TCP) into lwIP's iperf2 server, with
# lwIP on pktlink endpoints and, interleaved in the same rounds, the same lwIP
# on its own unix-port TAP driver (tapif): the same stack without pktlink.
#
# Usage: bench/lwip.sh [-r ROUNDS] [-t SECONDS] [-m "MODES"] [-p MODE] [-c]
#   modes: xdp packet packet-txoff tap tapif (default: all, in that order,
#          rotated each round); MODE+h runs pktlink-lwip-httpd --handoff
#          (receive worker and lwIP on two threads), e.g. tap+h
#   -p MODE  after the rounds, profile MODE once with perf (lwIP side)
#   -c       pin lwIP's side to CPU 1 and iperf to CPU 0 (on a machine
#            shared with other work this measures the scheduler's share:
#            lwIP-on-pktlink has one busy thread, tapif two)
#   PLLW_ARGS="--burst N --flush N" passes options to pktlink-lwip-httpd
# Runs in a private network namespace (re-executes itself under unshare -n);
# the kernel's side of veth modes is in a second namespace of its own. Only
# 198.18.0.0/24 and interfaces it creates. Needs root and a build in build/.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=5 secs=3 modes="xdp xdp+h packet packet-txoff tap tap+h tapif" prof="" pin=0
while getopts "r:t:m:p:ch" o; do
  case $o in
    r) rounds=$OPTARG ;; t) secs=$OPTARG ;; m) modes=$OPTARG ;; p) prof=$OPTARG ;; c) pin=1 ;;
    *) sed -n '2,19p' "$0"; exit 2 ;;
  esac
done
if [ -z "${PLLW_INNER:-}" ]; then
  exec unshare -n env PLLW_INNER=1 bash "$0" "$@"
fi
BIN=build/lwip/pktlink-lwip-httpd
[ -x $BIN ] || { echo "lwip bench: $BIN missing: cmake -B build && cmake --build build" >&2; exit 1; }
command -v iperf >/dev/null || { echo "lwip bench: iperf (iperf2) missing: scripts/deps.sh" >&2; exit 1; }
ip link set lo up
cpu_srv=() cpu_cli=()
[ $pin = 1 ] && cpu_srv=(taskset -c 1) cpu_cli=(taskset -c 0)
NS=pllw-bench-$$
OUT=$(mktemp /tmp/pllw-bench.XXXXXX)
srv=0
cleanup() {
  if [ $srv -gt 0 ]; then kill $srv 2>/dev/null; wait $srv 2>/dev/null || true; fi
  ip netns del $NS 2>/dev/null || true
  rm -f "$OUT" "$OUT".perf
}
trap cleanup EXIT
ip netns add $NS
ip -n $NS link set lo up

setup() { # mode -> sets spec, peer, extra
  extra=()
  [[ $1 == *+h ]] && extra=(--handoff)
  case ${1%+h} in
    xdp|packet|packet-txoff)
      ip link add lwa type veth peer name lwb
      ip link set lwb netns $NS
      ip link set lwa up
      ip -n $NS addr add 198.18.0.1/24 dev lwb
      ip -n $NS link set lwb up
      # AF_XDP and plain AF_PACKET frames say nothing of partial checksums:
      # the kernel must send complete ones (this also turns TSO off)
      [ "${1%+h}" != packet ] && ip netns exec $NS ethtool -K lwb tx off >/dev/null
      peer="ip netns exec $NS"
      case ${1%+h} in
        xdp) spec=(xdp:lwa) ;;
        packet) spec=("packet:lwa?vnet_hdr=1") ;;
        packet-txoff) spec=(packet:lwa) ;;
      esac ;;
    tap|tapif)
      ip tuntap add lwt0 mode tap
      ip addr add 198.18.0.1/24 dev lwt0
      ip link set lwt0 up
      peer=""
      if [ "${1%+h}" = tap ]; then spec=(tap:lwt0); else spec=(--tapif lwt0); fi ;;
  esac
}
teardown() {
  ip link del lwa 2>/dev/null || true
  ip -n $NS link del lwb 2>/dev/null || true
  ip link del lwt0 2>/dev/null || true
}
start() {
  "${cpu_srv[@]}" $BIN --quiet ${PLLW_ARGS:-} "${extra[@]}" "${spec[@]}" 198.18.0.2/24 >"$OUT" 2>&1 &
  srv=$!
  for _ in $(seq 500); do grep -q '^ready:' "$OUT" && return 0; sleep 0.02; done
  cat "$OUT" >&2; return 1
}
stop() {
  kill $srv; wait $srv 2>/dev/null || true; srv=0
}
cpu_ticks() { awk '{print $14 + $15}' /proc/$1/stat; }

run_one() { # mode -> sets mbit, cs (lwIP's CPU seconds per GB received)
  setup "$1"
  start
  $peer ping -q -c 2 -i 0.2 -w 10 198.18.0.2 >/dev/null || true
  local t0 t1 csv bits
  t0=$(cpu_ticks $srv)
  csv=$($peer "${cpu_cli[@]}" timeout $((secs + 20)) iperf -c 198.18.0.2 -t "$secs" -y C 2>/dev/null | tail -1)
  t1=$(cpu_ticks $srv)
  stop
  teardown
  bits=${csv##*,}
  local bytes; bytes=$(echo "$csv" | awk -F, '{print $(NF-1)}')
  mbit=$(awk -v b="${bits:-0}" 'BEGIN { printf "%.0f", b / 1e6 }')
  cs=$(awk -v by="${bytes:-0}" -v c=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%.2f", (by > 0 ? (c / hz) / (by / 1e9) : 0) }')
}

declare -A res cpu rat cur
echo "lwIP iperf2 TCP receive: $rounds rounds x $secs s, modes: $modes"
for ((r = 0; r < rounds; r++)); do
  # rotate the order each round so drifting load hits every mode alike
  read -ra m <<<"$modes"
  n=${#m[@]}
  line="round $((r + 1)):"
  for ((i = 0; i < n; i++)); do
    mode=${m[$(((i + r) % n))]}
    run_one "$mode"
    res[$mode]+="$mbit " cpu[$mode]+="$cs " cur[$mode]=$mbit
    line+=" $mode=$mbit"
  done
  echo "$line"
  # ratios to tapif of the same round: the load drifts less within a round
  if [ -n "${cur[tapif]:-}" ] && [ "${cur[tapif]}" != 0 ]; then
    for mode in $modes; do
      rat[$mode]+="$(awk -v a="${cur[$mode]}" -v b="${cur[tapif]}" 'BEGIN { printf "%.3f", a / b }') "
    done
  fi
done
median() { tr ' ' '\n' | { grep -v '^$' || true; } | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
echo
echo "| lwIP on | Mbit/s (median) | vs tapif (median of per-round ratios) | lwIP CPU s per GB (median) | CPU vs tapif |"
echo "|---|---|---|---|---|"
cref=$(echo "${cpu[tapif]:-}" | median)
for mode in $modes; do
  med=$(echo "${res[$mode]}" | median)
  c=$(echo "${cpu[$mode]}" | median)
  ratio=$(echo "${rat[$mode]:-}" | median)
  cr=$(awk -v a="$c" -v b="${cref:-0}" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "-" }')
  echo "| $mode | $med | ${ratio}x | $c | $cr |"
done

if [ -n "$prof" ]; then
  echo
  echo "perf profile of lwIP's side, mode $prof ($secs s of iperf):"
  setup "$prof"
  start
  $peer ping -q -c 2 -i 0.2 -w 10 198.18.0.2 >/dev/null || true
  $peer "${cpu_cli[@]}" iperf -c 198.18.0.2 -t $((secs + 1)) -y C >/dev/null 2>&1 &
  ip=$!
  perf record -q -g -o "$OUT".perf -p $srv -- sleep "$secs" >/dev/null 2>&1 || true
  wait $ip || true
  stop
  teardown
  perf report -i "$OUT".perf --no-children --percent-limit 1.5 --sort dso,symbol --stdio 2>/dev/null |
    grep -E '^ +[0-9]' | head -40
fi
