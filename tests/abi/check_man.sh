#!/usr/bin/env bash
# check_man.sh — the manual pages are built, clean and complete:
#   lint      mandoc -T lint -W warning finds nothing in any generated page
#             (except the empty-paragraph notes every scdoc page has);
#   section 3 every function declared in the installed headers (exported or
#             static inline) has a page or a link page, and every link
#             resolves;
#   section 1 every command of `pktlink --help` has a pktlink-<command>(1)
#             page that mentions each --long option of its --help;
#   section 7 pktlink(7) mentions every family prefix and every key=
#             of `pktlink help specs`.
# Usage: check_man.sh BUILD_DIR TOOL|- FAMILY...
set -uo pipefail
build=$(cd "$1" && pwd) tool=$2
shift 2
src=$(cd "$(dirname "$0")/../.." && pwd)
man=$build/man
fail=0
bad() { echo "FAIL: $*"; fail=1; }
if [ ! -d "$man/man3" ]; then
  echo "FAIL: no pages in $man: scdoc was not found at configure time" \
       "(Debian: apt-get install scdoc; scripts/deps.sh installs it)"
  exit 1
fi
command -v mandoc >/dev/null || { echo "FAIL: mandoc missing (apt-get install mandoc)"; exit 1; }

# Lint. A link page (.so) is checked through its target.
pages=0
for p in "$man"/man*/*; do
  if head -1 "$p" | grep -q '^\.so '; then
    t=$(head -1 "$p" | sed 's/^\.so //')
    [ -f "$man/$t" ] || bad "$(basename "$p"): links to $t, which does not exist"
    continue
  fi
  pages=$((pages + 1))
  out=$(mandoc -T lint -W warning "$p" 2>&1 | grep -v 'skipping paragraph macro: PP \(empty\|after S[HS]\)')
  [ -z "$out" ] || bad "mandoc -T lint $(basename "$p"):
$out"
done
echo "lint: $pages pages"

# Section 3: every public function has a page.
headers=(pktlink.h)
for fam in "$@"; do [ -f "$src/include/pktlink/$fam.h" ] && headers+=("$fam.h"); done
n=0
for f in $(bash "$src/scripts/api-functions.sh" --all -I "$build/include" "${headers[@]}"); do
  n=$((n + 1))
  [ -f "$man/man3/$f.3" ] ||
    bad "$f has no section-3 page: add its name to the NAME line of its topic's page in man/*.3.scd (and describe it there), or write man/$f.3.scd"
done
echo "section 3: $n functions of ${headers[*]}"

# Sections 1 and 7, from what the tool says about itself.
if [ "$tool" != - ]; then
  cmds=$("$tool" --help | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 } on && /^$/ { on = 0 }')
  for c in $cmds; do
    case $c in help|version) continue ;; esac
    page=$src/man/pktlink-$c.1.scd
    if [ ! -f "$page" ]; then bad "command '$c' has no page man/pktlink-$c.1.scd"; continue; fi
    grep -q "pktlink-$c\*\\?(1)" "$src/man/pktlink.1.scd" || bad "pktlink(1) does not refer to pktlink-$c(1)"
    help=$("$tool" "$c" --help 2>&1) || true
    for o in $(grep -o -- '--[a-z][a-z0-9-]*' <<<"$help" | sort -u); do
      grep -q -- "\*$o\*" "$page" || bad "pktlink-$c(1) does not document $o (from 'pktlink $c --help')"
    done
  done
  echo "section 1: commands $(echo $cmds | tr '\n' ' ')"
  spec=$("$tool" help specs)
  p7=$src/man/pktlink.7.scd
  for fam in $(grep -o '^[a-z]*:' <<<"$spec" | sort -u); do
    grep -q -- "\*$fam" "$p7" || bad "pktlink(7) does not describe the family prefix $fam"
  done
  nk=0
  for k in $(grep -o '[a-z][a-z0-9_]*=' <<<"$spec" | sort -u); do
    nk=$((nk + 1))
    grep -q -- "\*$k" "$p7" || bad "pktlink(7) does not document the spec key ${k%=} (from 'pktlink help specs')"
  done
  echo "section 7: $nk spec keys"
fi
if [ $fail -ne 0 ]; then echo "man: FAILED"; exit 1; fi
echo "man: all pages clean and complete"
