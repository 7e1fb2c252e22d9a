#!/usr/bin/env bash
# Build the libFuzzer targets (fuzz/fuzz_*.c) with clang in build/fuzz and
# run each for N seconds, starting from the target's valid seeds.
#
# Usage: scripts/fuzz.sh [seconds per target (default 30)] [target name regex]
# Env:   FUZZ_CC (default clang-14, then clang), FUZZ_FAMILIES (default "fd;shm;memif"),
#        FUZZ_JOBS (build jobs, default nproc).
# Exit:  0 when every target ran its time without a crash; 1 otherwise.
#        Crashing inputs are kept in build/fuzz/artifacts/; reproduce one with
#        build/fuzz/fuzz/fuzz_seeds_<target> <file> (no libFuzzer needed), or
#        with the gcc build's fuzz_replay_<target> <file>.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
filter=${2:-.}
cc=${FUZZ_CC:-$(command -v clang-14 || command -v clang || true)}
if [ -z "$cc" ]; then
  echo "fuzz: clang not found (Debian: apt-get install clang libclang-rt-14-dev)"
  exit 1
fi
dir=build/fuzz
mkdir -p "$dir"
echo "== fuzz: configure and build ($dir, $cc)"
cmake -S . -B "$dir" -DCMAKE_C_COMPILER="$cc" -DCMAKE_BUILD_TYPE=Debug -DPKTLINK_BUILD_FUZZ=ON \
  -DPKTLINK_BUILD_TESTS=OFF -DPKTLINK_BUILD_BENCH=OFF -DPKTLINK_FAMILIES="${FUZZ_FAMILIES:-fd;shm;memif}" \
  >"$dir/configure.log" 2>&1 || { tail -40 "$dir/configure.log"; exit 1; }
targets=()
for src in fuzz/fuzz_*.c; do
  [ -e "$src" ] || continue
  name=$(basename "$src" .c)
  [[ $name =~ $filter ]] && targets+=("$name")
done
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz: no targets match '$filter'"
  exit 1
fi
build_targets=()
for t in "${targets[@]}"; do build_targets+=("$t" "fuzz_seeds_$t"); done
cmake --build "$dir" -j"${FUZZ_JOBS:-$(nproc)}" --target "${build_targets[@]}" >"$dir/build.log" 2>&1 \
  || { tail -60 "$dir/build.log"; exit 1; }

rc=0
mkdir -p "$dir/artifacts"
for t in "${targets[@]}"; do
  corpus="$dir/corpus/$t"
  mkdir -p "$corpus"
  "$dir/fuzz/fuzz_seeds_$t" --dump-seeds "$corpus" >/dev/null || { echo "FAIL $t: seeds"; rc=1; continue; }
  echo "== fuzz: $t for ${secs}s ($(ls "$corpus" | wc -l) inputs in the corpus)"
  if "$dir/fuzz/$t" -max_total_time="$secs" -max_len=70000 -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$dir/artifacts/$t-" "$corpus" >"$dir/$t.log" 2>&1; then
    echo "ok   $t: $(grep -E '^stat::number_of_executed_units' "$dir/$t.log" | awk '{print $2}') runs," \
         "coverage $(grep -oE 'cov: [0-9]+' "$dir/$t.log" | tail -1)"
  else
    echo "FAIL $t (log: $dir/$t.log)"
    grep -E 'ERROR|SUMMARY|Test unit written' "$dir/$t.log" | head -5
    rc=1
  fi
done
exit $rc
