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

# Options structs (struct *_opts, first field size_t sz) name their last field next to them
# (#define <struct>__last_field <field>, read by src/core/opts.h): a field
# added after it would be refused, or, in trailing padding, ignored. The
# member at the largest offset comes from the library's DWARF (abidw).
if command -v abidw >/dev/null; then
  mkdir -p "$tmp/hd"
  for h in "${headers[@]}"; do cp "$src/include/pktlink/$h" "$tmp/hd/"; done
  cp "$build/include/pktlink/version.h" "$tmp/hd/"
  abidw --headers-dir "$tmp/hd" --no-corpus-path --out-file "$tmp/abi.xml" "$so"
  opts=$(cat "$tmp"/hd/*.h | awk '/^struct [a-z0-9_]+_opts \{$/ { name = $2; getline; if ($0 ~ /^\tsize_t sz;/) print name }')
  for o in $opts; do
    f=$(cat "$tmp"/hd/*.h | sed -n "s/^#define ${o}__last_field \([a-z0-9_]*\).*/\1/p")
    if [ -z "$f" ]; then
      bad "struct $o starts with sz but its header has no '#define ${o}__last_field FIELD'"
      continue
    fi
    last=$(awk -F"'" -v want="$o" '
      /<class-decl name=/ { inside = ($2 == want) ; next }
      /<\/class-decl>/ { inside = 0; next }
      inside && /layout-offset-in-bits=/ {
        for (i = 1; i < NF; i++) if ($i ~ /layout-offset-in-bits=$/) off = $(i + 1) + 0
        getline; if (off >= max) { max = off; name = $0; sub(/.*var-decl name=./, "", name); sub(/\x27.*/, "", name) }
      }
      END { print name }' "$tmp/abi.xml")
    if [ -z "$last" ]; then
      bad "struct $o: not found in the library's debug information"
    elif [ "$last" != "$f" ]; then
      bad "struct $o: ${o}__last_field is $f, but its last field is $last: update the #define"
    fi
  done
  echo "options structs: $(echo $opts | wc -w) checked (${opts//$'\n'/ })"
else
  bad "abidw missing (apt-get install abigail-tools; scripts/deps.sh)"
fi

if [ $fail -ne 0 ]; then echo "symbols: FAILED"; exit 1; fi
echo "symbols: headers, map, libpktlink.so and libpktlink.a agree"
