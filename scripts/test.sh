#!/usr/bin/env bash
# `make test` after set-up: lint, pytest on SQLite, pytest on PostgreSQL, browser tests; then a summary.
# Every stage runs even when an earlier one failed, so one run shows everything; the exit status is
# non-zero when any stage failed (pytest's "no tests ran", exit 5, counts as a failure).
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTEST=("$VENV/bin/python" -m pytest -q -p no:cacheprovider ${PYTEST_ARGS:-})
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

names=() results=() times=() outcomes=()
stage() {
  local name=$1; shift
  local log="$logs/${#names[@]}.log"
  printf '\n==> %s: %s\n' "$name" "$*"
  local t0=$SECONDS
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  names+=("$name") results+=("$rc") times+=("$((SECONDS - t0))")
  # the tool's own last word: pytest's "N passed, M failed in Xs", ruff's "All checks passed!"
  local last
  last=$(grep -E '[0-9]+ (passed|failed|errors?)|no tests ran|^Found [0-9]+ error|All checks passed' "$log" \
    | tail -n 1)
  [ -n "$last" ] || last=$(grep -v '^\s*$' "$log" | tail -n 1)
  outcomes+=("$(printf '%s' "$last" | sed -E 's/^=+ //; s/ =+$//' | cut -c1-70)")
}

stage "ruff" "$VENV/bin/ruff" check app tests
stage "pytest (SQLite)" env ERFLOW_TEST_DB=sqlite "${PYTEST[@]}" -m "not e2e"
stage "pytest (PostgreSQL)" env ERFLOW_TEST_DB=postgres "${PYTEST[@]}" -m "not e2e"
stage "browser (Chromium)" env ERFLOW_TEST_DB=sqlite "${PYTEST[@]}" -m e2e tests/e2e

failed=0
printf '\n%-20s %-10s %5s  %s\n' "stage" "result" "secs" "outcome"
for i in "${!names[@]}"; do
  rc=${results[$i]}
  if [ "$rc" -eq 0 ]; then r=ok; else r="FAIL($rc)"; failed=1; fi
  printf '%-20s %-10s %5s  %s\n' "${names[$i]}" "$r" "${times[$i]}" "${outcomes[$i]}"
done
if [ "$failed" -ne 0 ]; then
  printf '\nmake test: FAILED\n'
  exit 1
fi
printf '\nmake test: all stages passed\n'
