#!/usr/bin/env bash
# README.md's operator table, between <!-- ops:begin --> and <!-- ops:end -->, is the output of `tare ops --markdown`
# (the library's op table, through the C API).  After adding an op, or merging branches that did:
#   bash scripts/readme_ops.sh build/samples/cli/tare            rewrite the table in README.md
#   bash scripts/readme_ops.sh --check build/samples/cli/tare    fail, with a diff, when README.md differs (a ctest)
set -euo pipefail
check=0
if [ "${1:-}" = "--check" ]; then
  check=1
  shift
fi
if [ $# -ne 1 ]; then
  echo "usage: $0 [--check] PATH/TO/tare" >&2
  exit 2
fi
tare="$1"
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readme="$root/README.md"
begin='<!-- ops:begin -->'
end='<!-- ops:end -->'
if [ "$(grep -cxF "$begin" "$readme")" != 1 ] || [ "$(grep -cxF "$end" "$readme")" != 1 ]; then
  echo "$readme: needs exactly one line '$begin' and one line '$end'" >&2
  exit 1
fi
table=$("$tare" ops --markdown)
# Current README with the lines between the markers replaced by the generated table.
generated=$(TABLE="$table" awk -v begin="$begin" -v end="$end" '
  $0 == begin { print; print ENVIRON["TABLE"]; skip = 1; next }
  $0 == end { skip = 0 }
  !skip { print }' "$readme")
if [ "$check" = 1 ]; then
  if [ "$generated" = "$(cat "$readme")" ]; then
    echo "README.md's operator table matches \`tare ops --markdown\`"
    exit 0
  fi
  echo "FAILED: README.md's operator table differs from \`tare ops --markdown\` (- README.md, + generated):"
  diff <(cat "$readme") <(echo "$generated") || true
  echo "To fix it, run from the repository root:  bash scripts/readme_ops.sh $tare"
  exit 1
fi
printf '%s\n' "$generated" >"$readme"
echo "README.md: operator table regenerated ($(echo "$table" | tail -n +3 | wc -l) ops)"
