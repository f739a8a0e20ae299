#!/usr/bin/env bash
# Runs every test on a fresh or warm machine: installs what is missing,
# checks format, lint, types and generated files, runs the unit tiers
# (TypeScript and Python), brings the local stack up, runs the integration
# tiers against it, and brings it down. Exits non-zero when anything fails,
# and then the closing line ("N passed, N failed, N skipped") shows a failure:
# hack/test-summary.ts counts a tier that never reported as failed, and runs
# on every exit, including an abort half-way.
source "$(dirname "${BASH_SOURCE[0]}")/stack/lib.sh"
cd "$MC_REPO"

results=$MC_STACK_DIR/test-results
stack_up=false
finish() {
  local status=$? line summary_status=0
  trap - EXIT
  set +e
  if $stack_up; then "$MC_REPO/hack/stack/down.sh"; fi
  local extra=()
  ((status == 0)) || extra=(--failed "hack/test.sh stopped with exit code $status")
  if [[ -x $MC_NODE ]]; then
    line=$("$MC_NODE" "$MC_REPO/hack/test-summary.ts" "$results" "${extra[@]}")
    summary_status=$?
  fi
  # No summary (Node missing, the script broken): still a line CI can read.
  if ! [[ ${line##*$'\n'} =~ ^[0-9]+\ passed,\ [0-9]+\ failed ]]; then
    line="0 passed, 1 failed, 0 skipped"
    summary_status=1
  fi
  echo "${line##*$'\n'}"
  exit "$summary_status"
}
trap finish EXIT

# The tests own their stack: start from empty data (a leftover database would
# answer identical requests by result reuse); it is stopped at the end.
"$MC_REPO/hack/stack/down.sh" --purge

rm -rf "$results" && mkdir -p "$results"
# step TIER TITLE CMD...: runs CMD and records its exit code as the tier's.
step() {
  local tier=$1 title=$2 code=0; shift 2
  mc_log "== $title"
  "$@" || code=$?
  echo "$code" >"$results/$tier.exit"
  if ((code == 0)); then mc_log "== $title: ok"; else mc_log "== $title: FAILED ($code)"; fi
  return "$code"
}

"$MC_REPO/hack/stack/install.sh"
export PATH=$MC_REPO/node_modules/.bin:$PATH
py() { PYTHONPATH=$MC_REPO/ray "$MC_VENV/bin/python" "$@"; }
vitest_project() {
  vitest run --project "$1" --reporter=default --reporter=json --outputFile.json="$results/vitest-$1.json"
}
pytest_tier() {
  local tier=$1; shift
  (cd ray && py -m pytest -q -p no:cacheprovider --junitxml="$results/pytest-$tier.xml" "$@")
}

step biome "format and lint (biome)" biome ci . || true
step tsc "types (tsc)" tsc -p tsconfig.json || true
step vitest-unit "TypeScript unit tests" vitest_project unit || true
# Before the stack: these start Ray and Serve of their own, which would
# compete for the two cores with the stack's Ray.
step pytest-python "Python tests (engine oracles, Ray tasks, local Serve)" pytest_tier python || true

stack_up=true
if step stack "local stack start-up" "$MC_REPO/hack/stack/up.sh"; then
  eval "$("$MC_REPO/hack/stack/env.sh")"
  step vitest-integration "TypeScript integration tests" vitest_project integration || true
fi
