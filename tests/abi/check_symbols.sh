#!/usr/bin/env bash
# check_symbols.sh — the exported symbols are exactly the public functions:
#   every function declared in the installed headers (include/pktlink/pktlink.h
#   and the built families' <family>.h) is listed in src/libpktlink.map, and
#   libpktlink.so (each symbol in a PKTLINK_* version node) and libpktlink.a
#   export exactly those, nothing else (no internal pl_* symbol).
# Usage: check_symbols.sh BUILD_DIR LIBPKTLINK.SO LIBPKTLINK.A FAMILY...
set -euo pipefail
build=$(cd "$1" && pwd) so=$2 ar=$3
shift 3
src=$(cd "$(dirname "$0")/../.." && pwd)
headers=(pktlink.h)
for fam in "$@"; do [ -f "$src/include/pktlink/$fam.h" ] && headers+=("$fam.h"); done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: $*"; fail=1; }

bash "$src/scripts/api-functions.sh" --extern -I "$build/include" "${headers[@]}" >"$tmp/declared"
bash "$src/scripts/api-functions.sh" --extern -I "$build/include" >"$tmp/declared_all"
sed -n 's/^[[:space:]]*\(pktlink_[A-Za-z0-9_]*\);.*/\1/p' "$src/src/libpktlink.map" | sort >"$tmp/map"
echo "declared in ${headers[*]}: $(wc -l <"$tmp/declared") functions"

# The map lists each public function, and nothing that no header declares.
for f in $(comm -23 "$tmp/declared" "$tmp/map"); do
  bad "$f is declared in include/pktlink/ but not listed in src/libpktlink.map:" \
      "add it to the version node of this release"
done
for f in $(comm -13 "$tmp/declared_all" "$tmp/map"); do
  bad "src/libpktlink.map lists $f, which no header in include/pktlink/ declares"
done
dups=$(uniq -d "$tmp/map")
[ -z "$dups" ] || bad "src/libpktlink.map lists twice: $dups"

# The shared library: exactly the declared functions, each versioned.
nm -D --defined-only "$so" | awk '$2 != "A" { print $3 }' | sort >"$tmp/so_raw"
grep -v '@@\?PKTLINK_[0-9]' "$tmp/so_raw" | sed 's/^/  /' >"$tmp/so_unversioned" || true
[ ! -s "$tmp/so_unversioned" ] ||
  bad "$(basename "$so") exports symbols outside a PKTLINK_* version node:
$(cat "$tmp/so_unversioned")"
sed 's/@.*//' "$tmp/so_raw" | sort -u >"$tmp/so"
for f in $(comm -23 "$tmp/declared" "$tmp/so"); do
  bad "$f is declared but libpktlink.so does not export it (not defined, or not in the map?)"
done
for f in $(comm -13 "$tmp/declared" "$tmp/so"); do
  bad "libpktlink.so exports $f, which the installed headers do not declare"
done
echo "libpktlink.so: $(wc -l <"$tmp/so") exported, nodes: $(sed -n 's/.*@@\?//p' "$tmp/so_raw" | sort -u | tr '\n' ' ')"

# The static archive: the same list; everything else local.
nm -g --defined-only "$ar" | awk 'NF == 3 { print $3 }' | sort -u >"$tmp/ar"
for f in $(comm -23 "$tmp/declared" "$tmp/ar"); do
  bad "$f is declared but libpktlink.a does not define it globally"
done
for f in $(comm -13 "$tmp/declared" "$tmp/ar"); do
  bad "libpktlink.a exports $f, which the installed headers do not declare"
done
echo "libpktlink.a: $(wc -l <"$tmp/ar") global symbols"

if [ $fail -ne 0 ]; then echo "symbols: FAILED"; exit 1; fi
echo "symbols: headers, map, libpktlink.so and libpktlink.a agree"
