#!/usr/bin/env bash
# Build and run the whole test suite: unit and integration tests (root,
# private network namespaces), the same again with every CPU busy, then the
# same suite under ASan+UBSan, then
# the tests of concurrent code under TSan, then a short libFuzzer run of every
# fuzz target.
# Usage: scripts/test.sh [ctest -R regex]
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh || exit 1
jobs=$(nproc)
filter=()
[ $# -gt 0 ] && filter=(-R "$1")
run_suite() { # name, build dir, cmake args...
  local name=$1 dir=$2; shift 2
  local log=$dir/build-output.log
  echo "== $name: configure and build ($dir)"
  mkdir -p "$dir"
  cmake -S . -B "$dir" -DPKTLINK_WERROR=ON "$@" >"$log" 2>&1 || { cat "$log"; return 1; }
  cmake --build "$dir" -j"$jobs" >>"$log" 2>&1 || { tail -50 "$log"; return 1; }
  echo "== $name: ctest"
  local extra=()
  [ "$name" = tsan ] && extra=(-L tsan)
  # Every integration test runs in namespaces of its own, so they may run
  # side by side: one per CPU keeps CI well inside its time.
  (cd "$dir" && ctest -j"$jobs" --output-on-failure --timeout 400 "${extra[@]}" "${filter[@]}")
}
rc=0
run_suite release build/test -DCMAKE_BUILD_TYPE=RelWithDebInfo || rc=1
# The ABI of the release build against the committed baseline (abi/).
echo "== abi: scripts/abi-check.sh build/test"
bash scripts/abi-check.sh build/test || rc=1
# Loaded machine: the release suite once more while a busy loop runs on
# every CPU, since a user's machine is never idle (tests wait for conditions
# with deadlines; none may depend on getting the CPU at once). The loops are
# bounded (timeout) and killed when ctest ends, whatever happens.
run_loaded() {
  local pids=() i
  trap 'kill "${pids[@]}" 2>/dev/null' EXIT
  trap 'kill "${pids[@]}" 2>/dev/null; exit 130' INT TERM
  for ((i = 0; i < jobs; i++)); do
    timeout 1200 sh -c 'while :; do :; done' &
    pids+=($!)
  done
  echo "== release under load: ctest beside ${#pids[@]} busy loops"
  # Not the fuzz replays: deterministic CPU-bound loops, nothing to race.
  (cd build/test && ctest --output-on-failure --timeout 300 -LE fuzz "${filter[@]}")
  local r=$?
  kill "${pids[@]}" 2>/dev/null
  wait "${pids[@]}" 2>/dev/null
  trap - EXIT INT TERM
  return $r
}
[ -x build/test/tests/core_test_harness ] && { run_loaded || rc=1; }
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  run_suite asan+ubsan build/asan -DCMAKE_BUILD_TYPE=Debug -DPKTLINK_SANITIZE=ON \
  -DPKTLINK_BUILD_BENCH=OFF || rc=1
# TSan: the tests of concurrent code (label tsan).
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
  run_suite tsan build/tsan -DCMAKE_BUILD_TYPE=Debug -DPKTLINK_TSAN=ON -DPKTLINK_BUILD_BENCH=OFF || rc=1
# libFuzzer (clang): every parser of untrusted bytes, a short run each.
echo "== fuzz: libFuzzer, ${PKTLINK_FUZZ_SECONDS:-20} s per target"
bash scripts/fuzz.sh "${PKTLINK_FUZZ_SECONDS:-20}" || rc=1
if [ $rc -eq 0 ]; then echo "test suite: all passed"; else echo "test suite: FAILED"; fi
exit $rc
