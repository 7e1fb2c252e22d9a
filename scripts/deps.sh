#!/usr/bin/env bash
# Install what pktlink needs to build, test and benchmark on Debian 12.
# Idempotent: does nothing when everything is there.
set -euo pipefail
pkgs=(build-essential cmake pkg-config clang llvm libbpf-dev libxdp-dev libpcap-dev
      iproute2 ethtool procps linux-libc-dev libclang-rt-14-dev
      libdpdk-dev librte-net-af-xdp23 librte-net-af-packet23 librte-net-tap23
      librte-net-memif23 librte-mempool-ring23
      abigail-tools scdoc mandoc
      tcpdump tshark iputils-ping jq bash-completion
      golang-go golang-gvisor-gvisor-dev
      iperf3)  # bench/fwd.sh
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # tshark asks whether non-root users may capture; the default (no) is fine.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
