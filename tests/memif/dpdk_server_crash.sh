#!/usr/bin/env bash
# dpdk_server_crash.sh - show, with DPDK on both sides, that DPDK 22.11's
# net_memif server can die (SIGSEGV in rx_burst) when a client leaves
# cleanly while frames flow. No pktlink code runs here: this is the evidence
# behind the restarts in test_dpdk.c's dpdk_reconnect (src/memif/README.md).
# Not part of the suite; run it by hand as root:
#   tests/memif/dpdk_server_crash.sh <build>/tests/dpdk_memif_peer [clients]
# It starts an echo server, then up to N clients (default 100) one after
# the other; each sends frames, and leaves on SIGTERM (rte_eth_dev_close(),
# a clean DISCONNECT). It reports the client after which the server died.
set -u
peer=${1:?usage: $0 <path of dpdk_memif_peer> [clients]}
clients=${2:-100}
dir=$(mktemp -d /tmp/pl-dpdk-crash.XXXXXX)
sock=$dir/memif.sock
eal=(--no-huge -m 256 --no-pci --log-level '*:warning')
cleanup() {
  [ -n "${cli:-}" ] && kill -KILL "$cli" 2>/dev/null
  [ -n "${srv:-}" ] && kill -KILL "$srv" 2>/dev/null
  rm -rf "$dir" /var/run/dpdk/pl-crash-srv-$$ /var/run/dpdk/pl-crash-cli-$$
}
trap cleanup EXIT
"$peer" "${eal[@]}" --file-prefix pl-crash-srv-$$ -l 1 \
  --vdev "net_memif0,role=server,socket=$sock,socket-abstract=no" -- --mode echo \
  >"$dir/server.out" 2>&1 &
srv=$!
for _ in $(seq 1 300); do grep -q STARTED "$dir/server.out" && break; sleep 0.05; done
grep -q STARTED "$dir/server.out" || { echo "the server did not start"; exit 2; }
for i in $(seq 1 "$clients"); do
  timeout 30 "$peer" "${eal[@]}" --file-prefix pl-crash-cli-$$ -l 0 \
    --vdev "net_memif0,role=client,socket=$sock,socket-abstract=no" -- --mode send --count 2000 \
    >"$dir/client.out" 2>&1 &
  cli=$!
  for _ in $(seq 1 500); do grep -q READY "$dir/client.out" && break; sleep 0.02; done
  sleep "0.0$((RANDOM % 10))" # leave at a different moment each time
  kill -TERM "$cli"
  wait "$cli"
  cli=
  if ! kill -0 "$srv" 2>/dev/null; then
    wait "$srv"
    st=$?
    srv=
    echo "the DPDK server died (exit status $st; 139 = SIGSEGV) after DPDK client $i left"
    exit 1
  fi
done
echo "the DPDK server survived $clients clients"
