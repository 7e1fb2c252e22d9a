#!/usr/bin/env bash
# Install what pktlink needs to build, test and benchmark on Debian 12.
# Idempotent: does nothing when everything is there.
set -euo pipefail
pkgs=(build-essential cmake pkg-config clang llvm libbpf-dev libxdp-dev libpcap-dev
      iproute2 ethtool procps linux-libc-dev libclang-rt-14-dev
      libdpdk-dev librte-net-af-xdp23 librte-net-af-packet23 librte-net-tap23
      librte-net-memif23 librte-mempool-ring23 iperf3 iputils-ping)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
