#!/usr/bin/env bash
# Print the public functions declared in include/pktlink/*.h, one name a
# line, sorted: the list that the symbol map, the exported symbols and the
# section-3 man pages are checked against (tests/abi/).
# Usage: scripts/api-functions.sh [--extern|--inline|--all] [-I DIR]... [HEADER.h...]
#   --extern  functions the library defines and exports (default)
#   --inline  static inline functions of the headers
#   --all     both
# The compiler itself lists the declarations (gcc -aux-info), so macros,
# comments and line breaks cannot fool it. -I adds include directories (the
# build tree's, for the generated pktlink/version.h). HEADER.h names headers
# of include/pktlink/ (default: all of them).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=extern
incs=(-Iinclude)
headers=()
while [ $# -gt 0 ]; do
  case $1 in
    --extern|--inline|--all) mode=${1#--}; shift ;;
    -I) incs+=(-I"$2"); shift 2 ;;
    -I*) incs+=("$1"); shift ;;
    -*) echo "api-functions.sh: unknown option '$1'" >&2; exit 2 ;;
    *) headers+=("$1"); shift ;;
  esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ ${#headers[@]} -eq 0 ]; then
  for h in include/pktlink/*.h; do headers+=("$(basename "$h")"); done
fi
for h in "${headers[@]}"; do echo "#include <pktlink/$h>"; done >"$tmp/all.c"
${CC:-gcc} -std=gnu11 -D_GNU_SOURCE "${incs[@]}" -fsyntax-only -aux-info "$tmp/aux" "$tmp/all.c"
# Lines look like: /* PATH/include/pktlink/x.h:12:NC */ extern int pktlink_open (...);
awk -v mode="$mode" '
  $2 ~ /\/pktlink\/[^\/]*\.h:/ {
    kind = $4
    if (!match($0, /[A-Za-z_][A-Za-z0-9_]* \(/)) next
    name = substr($0, RSTART, RLENGTH - 2)
    if ((mode == "extern" || mode == "all") && kind == "extern") print name
    if ((mode == "inline" || mode == "all") && kind == "static") print name
  }' "$tmp/aux" | sort -u
