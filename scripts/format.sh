#!/usr/bin/env bash
# clang-format-14 with the repository's .clang-format over the C and C++ sources of src/ include/ tests/ samples/
# bench/ image/ (not tests/tools: third-party packages).
#   scripts/format.sh           formats them in place
#   scripts/format.sh --check   changes nothing: runs clang-format-14 --dry-run -Werror and fails, naming the
#                               files, when one is not formatted
# CLANG_FORMAT=... picks another binary (the output depends on the version: CI uses 14).
set -euo pipefail
cd "$(dirname "$0")/.."
CLANG_FORMAT="${CLANG_FORMAT:-clang-format-14}"
check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: scripts/format.sh [--check]" >&2; exit 2 ;;
esac
if ! command -v "$CLANG_FORMAT" >/dev/null; then
  echo "format.sh: $CLANG_FORMAT not found (Debian: apt-get install clang-format-14)" >&2
  exit 2
fi
mapfile -t files < <(find src include tests samples bench image -path tests/tools -prune -o -type f \
                       \( -name '*.c' -o -name '*.cc' -o -name '*.cpp' -o -name '*.h' -o -name '*.hpp' \
                          -o -name '*.inc' \) -print | LC_ALL=C sort)
if [ "$check" -eq 0 ]; then
  "$CLANG_FORMAT" -i "${files[@]}"
  echo "format.sh: formatted ${#files[@]} files"
  exit 0
fi
bad=()
for f in "${files[@]}"; do
  "$CLANG_FORMAT" --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if [ ${#bad[@]} -eq 0 ]; then
  echo "format.sh: ${#files[@]} files formatted"
  exit 0
fi
printf '  %s\n' "${bad[@]}"
echo "format.sh: ${#bad[@]} of ${#files[@]} files are not formatted (see: $CLANG_FORMAT --dry-run FILE; fix:" \
     "scripts/format.sh)"
exit 1
