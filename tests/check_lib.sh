# Sourced by the shell smoke tests (cli_test.sh, samples_test.sh): counters, a temporary folder and `check`.
pass=0
fail=0
check() {  # check NAME EXPECTED_STATUS PATTERN -- command...
  local name="$1" want="$2" pattern="$3"
  shift 4
  local out
  out=$("$@" 2>&1)
  local rc=$?
  if [ "$rc" -eq "$want" ] && grep -q -- "$pattern" <<<"$out"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAILED: $name (exit $rc, wanted $want; pattern '$pattern')"
    echo "$out" | tail -8
  fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
