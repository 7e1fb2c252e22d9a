#!/usr/bin/env bash
# abi-check.sh — compare the ABI of a built libpktlink.so with the committed
# baseline (abi/libpktlink.abi, written by libabigail's abidw) and fail on an
# incompatible change; additions pass.
#
# Usage: scripts/abi-check.sh [--update] [BUILD_DIR]   (default build/test,
#        the release build of scripts/test.sh)
#   --update  write the baseline from BUILD_DIR instead (after a release, or
#             after an incompatible change that comes with a SOVERSION bump:
#             docs/ABI.md). Commit abi/ with the change.
#
# Compatible (pass): new functions (in a new version node), new enumerators,
# struct members added at the end of a struct (the *_opts structs, pktlink_info,
# pktlink_stats: the library copies them at the caller's size), into trailing
# padding or growing it. Incompatible (fail): a removed or changed function,
# any member whose offset or type changed, a removed member, any change to
# struct pktlink_pkt (an array element: its size and layout are fixed), and
# whatever else abidiff reports. abidiff's exit bits decide first (8 = an
# incompatible change, 1/2 = an error); bit 4 (some change) is then judged
# from its leaf-change report by the rules above.
set -euo pipefail
cd "$(dirname "$0")/.."
update=0
if [ "${1:-}" = --update ]; then update=1; shift; fi
build=${1:-build/test}
base=abi/libpktlink.abi
fams_file=abi/families
so=$build/libpktlink.so
command -v abidw >/dev/null || { echo "abi-check: abidw missing (Debian: apt-get install abigail-tools; scripts/deps.sh)"; exit 1; }
[ -f "$so" ] || { echo "abi-check: no $so: build first (cmake --build $build)"; exit 1; }
families=$(sed -n 's/^PKTLINK_FAMILIES:STRING=//p' "$build/CMakeCache.txt")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The public headers as installed (the built families' and version.h):
# abidw then describes only the types the API uses.
mkdir -p "$tmp/hd"
cp include/pktlink/pktlink.h "$build/include/pktlink/version.h" "$tmp/hd/"
for f in ${families//;/ }; do [ -f "include/pktlink/$f.h" ] && cp "include/pktlink/$f.h" "$tmp/hd/"; done
abidw --headers-dir "$tmp/hd" --no-corpus-path --no-comp-dir-path --out-file "$tmp/new.abi" "$so"
# Paths relative to the repository, so the baseline does not depend on
# where it was built.
sed -i -e "s|$(pwd)/$build/|BUILD/|g" -e "s|$(pwd)/||g" "$tmp/new.abi"

if [ $update -eq 1 ]; then
  mkdir -p abi
  cp "$tmp/new.abi" "$base"
  echo "$families" >"$fams_file"
  echo "abi-check: baseline $base written from $so (families $families)"
  exit 0
fi
[ -f "$base" ] || { echo "abi-check: no baseline $base: run scripts/abi-check.sh --update"; exit 1; }
# A build with fewer families than the baseline lacks their functions by
# design: nothing to compare.
for f in $(tr ';' ' ' <"$fams_file"); do
  if [[ ";$families;" != *";$f;"* ]]; then
    echo "abi-check: SKIP: $build lacks family $f of the baseline (built: $families)"
    exit 0
  fi
done

set +e
abidiff --no-added-syms --leaf-changes-only --headers-dir2 "$tmp/hd" "$base" "$tmp/new.abi" >"$tmp/leaf"
rc=$?
abidiff --headers-dir2 "$tmp/hd" "$base" "$tmp/new.abi" >"$tmp/full"
set -e
verdict=ok
if (( rc & 3 )); then
  cat "$tmp/leaf"
  echo "abi-check: abidiff failed (exit $rc)"
  exit 1
elif (( rc & 8 )); then
  verdict="incompatible (abidiff exit $rc)"
elif (( rc & 4 )); then
  # The offset of each struct's last member in the baseline: a member
  # inserted after it went to the end (or into trailing padding); one
  # inserted before it filled a hole, which an older library would not see.
  awk -F"'" '
    /<class-decl name=/ { name = $2; inside = 1; next }
    /<\/class-decl>/ { inside = 0; next }
    inside && /layout-offset-in-bits=/ {
      for (i = 1; i < NF; i++) if ($i ~ /layout-offset-in-bits=$/) off = $(i + 1) + 0
      if (!(name in last) || off > last[name]) last[name] = off
    }
    END { for (n in last) print n, last[n] }' "$base" >"$tmp/last"
  # Judge each leaf change; print the lines that are not compatible.
  awk -v lastfile="$tmp/last" '
    BEGIN { while ((getline l < lastfile) > 0) { split(l, f, " "); last[f[1]] = f[2] + 0 } }
    /^Removed\/Changed\/Added (functions|variables) summary/ || /^$/ { next }
    /^Leaf changes summary:/ || /^Changed leaf types summary:/ { next }
    /^'\''struct [A-Za-z0-9_]+ at .*'\'' changed:$/ {
      name = $2
      if (name == "pktlink_pkt") { print "  struct pktlink_pkt must not change: " $0; bad = 1 }
      next
    }
    /^  type size hasn'\''t changed$/ { next }
    /^  type size changed from [0-9]+ to [0-9]+ \(in bits\)$/ {
      if ($7 + 0 < $5 + 0) { print "  shrunk: " name; bad = 1 }
      next
    }
    /^  [0-9]+ data member insertions?:$/ { next }
    /^    '\''.*'\'', at offset [0-9]+ \(in bits\)/ {
      off = $0; sub(/.*at offset /, "", off); off += 0
      if (!(name in last) || off <= last[name]) { print "  inserted before the last member of " name ": " $0; bad = 1 }
      next
    }
    { print "  " $0; bad = 1 }
    END { exit bad }' "$tmp/leaf" >"$tmp/bad" || verdict="incompatible"
fi
added=$(grep -c "^  \[A\]" "$tmp/full" || true)
if [ "$verdict" != ok ]; then
  echo "abi-check: INCOMPATIBLE change against $base:"
  cat "$tmp/bad" 2>/dev/null || true
  echo "--- abidiff report:"
  cat "$tmp/full"
  echo "abi-check: FAILED. Keep the change compatible (docs/ABI.md), or, for a release that"
  echo "bumps the SOVERSION, regenerate the baseline: scripts/abi-check.sh --update $build"
  exit 1
fi
echo "abi-check: compatible with $base (abidiff exit $rc; $added function(s) added)"
[ "$added" = 0 ] || grep "^  \[A\]" "$tmp/full"
exit 0
