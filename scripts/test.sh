#!/usr/bin/env bash
# `make test` after set-up: lint, pytest on SQLite, pytest on PostgreSQL, browser tests; then a summary.
# Every stage runs even when an earlier one failed, so one run shows everything; the exit status is non-zero
# when any stage failed (pytest's "no tests ran", exit 5, counts as a failure).
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTEST=("$VENV/bin/python" -m pytest -q -p no:cacheprovider ${PYTEST_ARGS:-})

names=() results=() times=()
stage() {
  local name=$1; shift
  printf '\n==> %s: %s\n' "$name" "$*"
  local t0=$SECONDS
  "$@"
  local rc=$?
  names+=("$name") results+=("$rc") times+=("$((SECONDS - t0))")
}

stage "ruff" "$VENV/bin/ruff" check app tests
stage "pytest (SQLite)" env ERFLOW_TEST_DB=sqlite "${PYTEST[@]}" -m "not e2e"
stage "pytest (PostgreSQL)" env ERFLOW_TEST_DB=postgres "${PYTEST[@]}" -m "not e2e"
stage "browser (Chromium)" env ERFLOW_TEST_DB=sqlite "${PYTEST[@]}" -m e2e tests/e2e

failed=0
printf '\n%-24s %-8s %s\n' "stage" "result" "seconds"
printf '%-24s %-8s %s\n' "-----" "------" "-------"
for i in "${!names[@]}"; do
  rc=${results[$i]}
  if [ "$rc" -eq 0 ]; then r=ok; else r="FAILED($rc)"; failed=1; fi
  printf '%-24s %-8s %s\n' "${names[$i]}" "$r" "${times[$i]}"
done
if [ "$failed" -ne 0 ]; then
  printf '\nmake test: FAILED\n'
  exit 1
fi
printf '\nmake test: all stages passed\n'
