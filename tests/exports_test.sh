#!/usr/bin/env bash
# libtare.so exports exactly the functions tare.h declares (TARE_API), nothing else.
set -u
LIB="$1"
HEADER="$2"
exported=$(nm -D --defined-only "$LIB" | awk '$2 == "T" {print $3}' | sed 's/@.*//' | sort)
declared=$(grep -E '^TARE_API ' "$HEADER" | grep -oE '[a-z_0-9]+\(' | \
           sed 's/($//' | grep '^tare_' | sort -u)
others=$(nm -D --defined-only "$LIB" | awk '{print $3}' | sed 's/@.*//' | grep -v -E '^(tare_|TARE_1$)')
pass=0
fail=0
if [ "$exported" = "$declared" ]; then pass=$((pass + 1)); else
  fail=$((fail + 1))
  echo "FAILED: exported functions differ from tare.h:"
  diff <(echo "$declared") <(echo "$exported")
fi
if [ -z "$others" ]; then pass=$((pass + 1)); else
  fail=$((fail + 1))
  echo "FAILED: symbols other than the C API are visible:"
  echo "$others" | head
fi
if ldd "$LIB" | grep -q libvulkan; then
  fail=$((fail + 1))
  echo "FAILED: libtare.so links libvulkan (it must load it at run time)"
else pass=$((pass + 1)); fi
echo "exports: $(echo "$exported" | wc -l) C API functions"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
