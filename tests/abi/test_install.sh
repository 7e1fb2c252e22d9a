#!/usr/bin/env bash
# test_install.sh — install the build into a temporary prefix, as a user
# would (cmake --install BUILD --prefix X), and check what a consumer sees:
#   - pktlink.pc points into X (relocatable), a program built with
#     `pkg-config --cflags --libs pktlink` links libpktlink.so from X and runs;
#   - find_package(pktlink) gives pktlink::pktlink (shared) and
#     pktlink::pktlink_static; programs linked with each run;
#   - only the built families' headers, the version header, the examples and
#     the CMake version file are installed; the tree can be moved.
# Usage: test_install.sh BUILD_DIR CONSUMER_SOURCE_DIR FAMILY...
set -euo pipefail
build=$1 consumer=$2
shift 2
families=("$@")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

prefix=$tmp/prefix
cmake --install "$build" --prefix "$prefix" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log"; fail "cmake --install"; }
pc=$(find "$prefix" -name pktlink.pc)
[ -n "$pc" ] || fail "no pktlink.pc installed"
pcdir=$(dirname "$pc")
echo "installed into $prefix ($(find "$prefix" -type f | wc -l) files)"

# Headers: pktlink.h, version.h and exactly the built families' headers.
for h in "$prefix"/include/pktlink/*; do
  b=$(basename "$h" .h)
  case $b in
    pktlink|version) ;;
    *) [[ " ${families[*]} " == *" $b "* ]] || fail "header $b.h installed, but family $b was not built" ;;
  esac
done
for f in "${families[@]}"; do
  [ ! -f "$(dirname "$0")/../../include/pktlink/$f.h" ] || [ -f "$prefix/include/pktlink/$f.h" ] ||
    fail "header $f.h of a built family is missing"
done
[ -f "$prefix/include/pktlink/version.h" ] || fail "version.h is not installed"
ls "$prefix"/share/doc/pktlink/examples/*.c >/dev/null 2>&1 || fail "examples not installed"
[ -f "$(dirname "$pc")/../cmake/pktlink/pktlinkConfigVersion.cmake" ] ||
  fail "no CMake package version file"
# Manual pages, when scdoc built them: a page per section, a link page
# per grouped function.
if [ -d "$build/man/man3" ]; then
  for m in man1/pktlink.1 man7/pktlink.7 man3/pktlink_open.3 man3/pktlink_tx_burst.3; do
    [ -f "$prefix/share/man/$m" ] || fail "manual page $m is not installed"
  done
  grep -q '^\.so man3/pktlink_rx_burst\.3' "$prefix/share/man/man3/pktlink_tx_burst.3" ||
    fail "pktlink_tx_burst.3 is not a link to pktlink_rx_burst.3"
fi

# The directory of the libpktlink.so a program loads (resolved).
loaded_dir() { dirname "$(realpath "$(ldd "$1" | awk '/libpktlink\.so/ { print $3 }')")"; }

pkgconf() { PKG_CONFIG_PATH=$1 pkg-config "${@:2}"; }

check_pkgconfig() { # prefix dir of a (possibly moved) tree
  local p=$1 pcd
  pcd=$(dirname "$(find "$p" -name pktlink.pc)")
  local got
  got=$(pkgconf "$pcd" --variable=prefix pktlink)
  [ "$(realpath "$got")" = "$(realpath "$p")" ] || fail "pktlink.pc prefix is $got, not $p"
  pkgconf "$pcd" --modversion pktlink | grep -qx "$(grep -o '"[0-9.]*"' "$p/include/pktlink/version.h" | tr -d '"')" ||
    fail "pkg-config version differs from version.h"
  local libdir cflags libs
  libdir=$(pkgconf "$pcd" --variable=libdir pktlink)
  cflags=$(pkgconf "$pcd" --cflags pktlink)
  libs=$(pkgconf "$pcd" --libs pktlink)
  # shellcheck disable=SC2086
  cc -std=gnu11 -Wall -Werror $cflags "$consumer/consumer.c" $libs -Wl,-rpath,"$libdir" \
    -o "$tmp/consumer_pc" || fail "building with pkg-config ($cflags $libs)"
  [ "$(loaded_dir "$tmp/consumer_pc")" = "$(realpath "$libdir")" ] ||
    { ldd "$tmp/consumer_pc"; fail "the pkg-config build does not use $libdir/libpktlink.so"; }
  "$tmp/consumer_pc" || fail "the pkg-config consumer failed"
}
check_pkgconfig "$prefix"
echo "pkg-config: ok"

cmake -S "$consumer" -B "$tmp/cbuild" -DCMAKE_PREFIX_PATH="$prefix" >"$tmp/cmake.log" 2>&1 ||
  { cat "$tmp/cmake.log"; fail "find_package(pktlink)"; }
cmake --build "$tmp/cbuild" >>"$tmp/cmake.log" 2>&1 || { cat "$tmp/cmake.log"; fail "consumer build"; }
[[ "$(loaded_dir "$tmp/cbuild/consumer_shared")" == "$(realpath "$prefix")"/* ]] ||
  { ldd "$tmp/cbuild/consumer_shared"; fail "pktlink::pktlink does not link the installed libpktlink.so"; }
! ldd "$tmp/cbuild/consumer_static" | grep -q libpktlink ||
  fail "pktlink::pktlink_static links libpktlink.so"
"$tmp/cbuild/consumer_shared" || fail "find_package consumer (shared) failed"
"$tmp/cbuild/consumer_static" || fail "find_package consumer (static) failed"
echo "find_package: ok (shared and static)"

# Relocatable: the same tree, moved, still resolves through pkg-config.
mv "$prefix" "$tmp/moved"
check_pkgconfig "$tmp/moved"
echo "moved tree: ok"
echo "install: all checks passed"
