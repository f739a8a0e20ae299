#!/usr/bin/env bash
# Runs every test on a fresh or warm machine: installs what is missing,
# checks format, lint, types and generated files, runs the unit tiers
# (TypeScript and Python), brings the local stack up, runs the integration
# tiers against it, and brings it down. Exits non-zero when anything fails.
source "$(dirname "${BASH_SOURCE[0]}")/stack/lib.sh"
cd "$MC_REPO"

# The tests own their stack: start from empty data (a leftover database would
# answer identical requests by result reuse); it is stopped at the end.
"$MC_REPO/hack/stack/down.sh" --purge

results=$MC_STACK_DIR/test-results
rm -rf "$results" && mkdir -p "$results"
failures=()
step() {
  local name=$1; shift
  mc_log "== $name"
  if "$@"; then mc_log "== $name: ok"; else failures+=("$name"); mc_log "== $name: FAILED"; fi
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

step "format and lint (biome)" biome ci .
step "types (tsc)" tsc -p tsconfig.json
step "TypeScript unit tests" vitest_project unit
# Before the stack: these start Ray and Serve of their own, which would
# compete for the two cores with the stack's Ray.
step "Python tests (engine oracles, Ray tasks, local Serve)" pytest_tier python

trap '"$MC_REPO/hack/stack/down.sh"' EXIT
if "$MC_REPO/hack/stack/up.sh"; then
  eval "$("$MC_REPO/hack/stack/env.sh")"
  step "TypeScript integration tests" vitest_project integration
else
  failures+=("local stack start-up")
fi

node hack/test-summary.ts "$results"
if ((${#failures[@]})); then
  mc_log "failed: ${failures[*]}"
  exit 1
fi
