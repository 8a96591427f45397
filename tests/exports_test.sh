#!/usr/bin/env bash
# libtare.so exports exactly the functions tare.h declares (TARE_API), nothing else; tare.h's init macros have the
# documented form `#define tare_X_init(p) tare_X_init_sized((p), sizeof(*(p)))`.
set -u
LIB="$1"
HEADER="$2"
exported=$(nm -D --defined-only "$LIB" | awk '$2 == "T" {print $3}' | sed 's/@.*//' | sort)
functions=$(grep -E '^TARE_API ' "$HEADER" | grep -oE '[a-z_0-9]+\(' | sed 's/($//' | grep '^tare_' | sort -u)
init_macros=$(grep -E '^#define tare_[a-z_0-9]+_init\(' "$HEADER" | sed -E 's/^#define (tare_[a-z_0-9]+)\(.*/\1/' |
              sort -u)
others=$(nm -D --defined-only "$LIB" | awk '{print $3}' | sed 's/@.*//' | grep -v -E '^(tare_|TARE_1$)')
pass=0
fail=0
if [ "$exported" = "$functions" ]; then pass=$((pass + 1)); else
  fail=$((fail + 1))
  echo "FAILED: exported functions differ from tare.h:"
  diff <(echo "$functions") <(echo "$exported")
fi
# Each init macro has the exact form documented in tare.h, over a declared _sized function, and each _init_sized
# function has its macro.
bad_macros=0
for f in $(echo "$functions" | grep '_init_sized$'); do
  if ! echo "$init_macros" | grep -qx "${f%_sized}"; then
    echo "FAILED: $f has no macro ${f%_sized}(p)"
    bad_macros=$((bad_macros + 1))
  fi
done
for m in $init_macros; do
  if ! grep -qxF "#define $m(p) ${m}_sized((p), sizeof(*(p)))" "$HEADER" || ! echo "$functions" | grep -qx "${m}_sized"
  then
    echo "FAILED: $m is not '#define $m(p) ${m}_sized((p), sizeof(*(p)))' over a TARE_API ${m}_sized"
    bad_macros=$((bad_macros + 1))
  fi
done
if [ -z "$init_macros" ] || [ "$bad_macros" -ne 0 ]; then fail=$((fail + 1)); else pass=$((pass + 1)); fi
if [ -z "$others" ]; then pass=$((pass + 1)); else
  fail=$((fail + 1))
  echo "FAILED: symbols other than the C API are visible:"
  echo "$others" | head
fi
if ldd "$LIB" | grep -q libvulkan; then
  fail=$((fail + 1))
  echo "FAILED: libtare.so links libvulkan (it must load it at run time)"
else pass=$((pass + 1)); fi
echo "exports: $(echo "$exported" | wc -l) C API functions; $(echo "$init_macros" | wc -l) init macros"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
