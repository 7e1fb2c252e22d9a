#!/usr/bin/env bash
# Throughput of `pktlink fwd` between two network namespaces, against the two
# namespaces joined directly by one veth pair and against a Linux bridge,
# in the same run.
#
#   bash bench/fwd.sh [build dir]
#   RUNS=5 DURATION=5 PAIRS='packet:packet xdp-drv:xdp-drv' bash bench/fwd.sh build
#   PACKET_OPTS='dispatch=mmap' ...   extra keys for every packet: side
#
# Layout: namespaces A (198.18.0.1) and B (198.18.0.2); for the bridge and
# fwd rows a middle namespace M holds the near ends of two veth pairs (or the
# TAP devices fwd creates, moved into A/B once open). fwd runs with default
# specs, as a user would. Per row and run:
#   - TCP: iperf3 A -> B for DURATION seconds, Gbit/s at the receiver;
#   - UDP 64-byte frames: `pktlink gen` (the in-kernel XDP generator) floods
#     from A's device for DURATION seconds; Mpps = frames B's device received
#     / seconds. The device that receives the generator's frames needs NAPI,
#     so GRO is turned on there for this measurement (and off again).
# Rows report the median of RUNS runs with min and max.
#
# xdp in skb mode cannot take the sender's TSO super-packets (the kernel
# drops them), so for xdp-skb sides TSO is turned off on the far device.
# Needs root, iperf3, ethtool, and the tool built with its generator.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
bin=$(realpath "$build/pktlink" 2>/dev/null || true)
[ -x "$bin" ] || { echo "bench/fwd.sh: $build/pktlink not found: build first" >&2; exit 1; }
command -v iperf3 >/dev/null || { echo "bench/fwd.sh: iperf3 missing (apt-get install iperf3)" >&2; exit 1; }
runs=${RUNS:-3}
dur=${DURATION:-3}
pairs=${PAIRS:-"packet:packet packet:tap packet:xdp-drv packet:xdp-skb tap:tap tap:xdp-drv xdp-drv:xdp-drv xdp-drv:xdp-skb xdp-skb:xdp-skb shm:packet shm:xdp-drv"}
S=$$
A=plfbA$S B=plfbB$S M=plfbM$S
tmp=$(mktemp -d /tmp/plt-fwdbench-XXXXXX)
fwd_pids=()

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }
stop_fwd() {
  for p in "${fwd_pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${fwd_pids[@]}"; do wait "$p" 2>/dev/null; done
  fwd_pids=()
}
cleanup() {
  stop_fwd
  for n in $A $B $M; do ip netns del "$n" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT
for n in $A $B $M; do ip netns add "$n" && nsx "$n" ip link set lo up || exit 1; done

# far_config NS DEV IDX: addresses and link up on a far device
far_config() {
  nsx "$1" ip addr add "198.18.0.$3/24" dev "$2"
  nsx "$1" ip link set "$2" up
}
# topo_clear: remove every device made for the previous row
topo_clear() {
  stop_fwd
  for n in $A $B $M; do
    for d in $(nsx "$n" ls /sys/class/net 2>/dev/null); do
      [ "$d" = lo ] || nsx "$n" ip link del "$d" 2>/dev/null
    done
  done
}
# side_spec KIND NEAR: the spec fwd opens for one side
side_spec() {
  case $1 in
    packet) echo "packet:$2${PACKET_OPTS:+?$PACKET_OPTS}" ;;
    tap) echo "tap:$2" ;;
    xdp-drv) echo "xdp:$2?mode=drv" ;;
    xdp-skb) echo "xdp:$2?mode=skb" ;;
  esac
}
# side_pre KIND NS NEAR FAR IDX: devices before fwd starts (veth for all but tap)
side_pre() {
  [ "$1" = tap ] && return
  nsx $M ip link add "$3" type veth peer name "$4" netns "$2"
  nsx $M ip link set "$3" up
  far_config "$2" "$4" "$5"
  [ "$1" = xdp-skb ] && nsx "$2" ethtool -K "$4" tso off >/dev/null
  true
}
# side_post KIND NS NEAR IDX: tap: move fwd's TAP device into the far namespace
side_post() {
  [ "$1" = tap ] || return 0
  for _ in $(seq 100); do nsx $M ip link show "$3" >/dev/null 2>&1 && break; sleep 0.1; done
  nsx $M ip link set "$3" netns "$2" && far_config "$2" "$3" "$4"
}
# launch_fwd LOG ARGS...: run fwd in M in the background
launch_fwd() {
  local log=$1; shift
  nsx $M "$bin" fwd "$@" >"$log" 2>&1 &
  fwd_pids+=($!)
}
# wait_ready LOG: wait (bounded) for fwd's ready line
wait_ready() {
  for _ in $(seq 300); do grep -q "forwarding " "$1" && return 0; sleep 0.1; done
  echo "bench/fwd.sh: fwd not ready:" >&2; cat "$1" >&2; return 1
}
# far device names of the current row
fa_dev=pa fb_dev=pb recv_gen_dev=pb

topo_veth() {
  nsx $A ip link add pa type veth peer name pb netns $B
  far_config $A pa 1; far_config $B pb 2
  fa_dev=pa fb_dev=pb recv_gen_dev=pb; gen_ns=$B
}
topo_bridge() {
  side_pre packet $A fa pa 1; side_pre packet $B fb pb 2
  nsx $M ip link add br0 type bridge
  nsx $M ip link set fa master br0; nsx $M ip link set fb master br0; nsx $M ip link set br0 up
  fa_dev=pa fb_dev=pb recv_gen_dev=fa; gen_ns=$M
}
# topo_fwd KA KB: one forwarder, or two joined by shm (KA = shm, KB the kind on both ends)
topo_fwd() {
  local ka=$1 kb=$2
  if [ "$ka" = shm ]; then
    side_pre "$kb" $A fa pa 1; side_pre "$kb" $B fb pb 2
    launch_fwd "$tmp/fwd1.log" "$(side_spec "$kb" fa)" "shm:$tmp/s.sock?role=server"
    for _ in $(seq 100); do [ -S "$tmp/s.sock" ] && break; sleep 0.1; done
    launch_fwd "$tmp/fwd2.log" "shm:$tmp/s.sock?role=client" "$(side_spec "$kb" fb)"
    wait_ready "$tmp/fwd1.log" && wait_ready "$tmp/fwd2.log" || return 1
    ka=$kb
  else
    side_pre "$ka" $A fa pa 1; side_pre "$kb" $B fb pb 2
    launch_fwd "$tmp/fwd.log" "$(side_spec "$ka" fa)" "$(side_spec "$kb" fb)"
    wait_ready "$tmp/fwd.log" || return 1
  fi
  side_post "$ka" $A fa 1; side_post "$kb" $B fb 2
  fa_dev=pa fb_dev=pb
  [ "$ka" = tap ] && fa_dev=fa
  [ "$kb" = tap ] && fb_dev=fb
  recv_gen_dev=fa; gen_ns=$M
  [ "$ka" = tap ] && { recv_gen_dev=""; gen_ns=""; }
  # the first ARP through the forwarder
  for _ in $(seq 50); do nsx $A ping -c1 -W1 198.18.0.2 >/dev/null 2>&1 && break; done
}

# tcp_gbps: one iperf3 run A -> B, Gbit/s at the receiver
tcp_gbps() {
  nsx $B iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
  local s=$!
  sleep 0.3
  local r
  r=$(nsx $A timeout $((dur + 15)) iperf3 -c 198.18.0.2 -p 5201 -t "$dur" -f g 2>/dev/null |
      awk '/receiver/ {print $(NF-2)}')
  kill $s 2>/dev/null; wait $s 2>/dev/null
  echo "${r:-0}"
}
# rx_packets NS DEV
rx_packets() { nsx "$1" awk -F'[: ]+' -v d="$2" '$2 == d {print $4}' /proc/net/dev; }
# udp_mpps: the generator floods 64-byte frames from A's device; Mpps received by B's device
udp_mpps() {
  [ -n "$gen_ns" ] && nsx "$gen_ns" ethtool -K "$recv_gen_dev" gro on >/dev/null 2>&1
  local r0 r1
  r0=$(rx_packets $B "$fb_dev")
  nsx $A timeout $((dur + 15)) "$bin" gen "$fa_dev" --duration "$dur" --len 64 >/dev/null 2>&1
  sleep 0.2
  r1=$(rx_packets $B "$fb_dev")
  [ -n "$gen_ns" ] && nsx "$gen_ns" ethtool -K "$recv_gen_dev" gro off >/dev/null 2>&1
  awk -v a="$r0" -v b="$r1" -v d="$dur" 'BEGIN {printf "%.3f", (b - a) / d / 1e6}'
}
# stats: "median (min-max)" of the arguments
stats() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END {printf "%s (%s-%s)", v[int((NR+1)/2)], v[1], v[NR]}'; }

row() { # name setup...
  local name=$1; shift
  local t=() u=()
  for ((i = 0; i < runs; i++)); do
    topo_clear
    "$@" || { echo "| $name | setup failed | |"; return; }
    t+=("$(tcp_gbps)")
    u+=("$(udp_mpps)")
  done
  echo "| $name | $(stats "${t[@]}") | $(stats "${u[@]}") |"
  rm -f "$tmp"/fwd*.log
}

echo "pktlink fwd throughput: $(date -u +%FT%TZ), $(uname -r), $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); runs $runs x ${dur} s; medians (min-max)"
echo
echo "| path | TCP Gbit/s | UDP 64 B Mpps |"
echo "|---|---|---|"
row "veth pair (A and B joined directly)" topo_veth
row "Linux bridge" topo_bridge
for p in $pairs; do
  ka=${p%%:*} kb=${p##*:}
  if [ "$ka" = shm ]; then
    row "fwd $kb <-> shm <-> $kb (two fwd processes)" topo_fwd shm "$kb"
  else
    row "fwd $ka <-> $kb" topo_fwd "$ka" "$kb"
  fi
done
echo
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
