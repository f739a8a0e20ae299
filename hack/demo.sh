#!/usr/bin/env bash
# The main job on a fresh or warm machine: brings up the local stack, starts
# the operator, applies the example platform and simulations, waits for
# them, and prints `kubectl get montecarlosimulations`. The stack keeps
# running afterwards; stop it with hack/stack/down.sh.
source "$(dirname "${BASH_SOURCE[0]}")/stack/lib.sh"
cd "$MC_REPO"

"$MC_REPO/hack/stack/up.sh"
eval "$("$MC_REPO/hack/stack/env.sh")"
k() { "$MC_KUBECTL" "$@"; }

k create namespace montecarlo-system --dry-run=client -o yaml | k apply -f - >/dev/null
k create namespace prop-risk --dry-run=client -o yaml | k apply -f - >/dev/null

if ! [[ -f $MC_STACK_DIR/operator.pid ]] || ! kill -0 "$(cat "$MC_STACK_DIR/operator.pid")" 2>/dev/null; then
  mc_log "operator on 127.0.0.1:$MC_OPERATOR_PORT (log: $MC_STACK_DIR/logs/operator.log)"
  mc_spawn operator env KUBECONFIG="$KUBECONFIG" DATABASE_URL="$DATABASE_URL" HTTP_HOST=127.0.0.1 \
    SIMULATOR_TOKEN_FILE="$SIMULATOR_TOKEN_FILE" \
    HTTP_PORT="$MC_OPERATOR_PORT" CONTROLLERS=simulation "$MC_NODE" "$MC_REPO/src/main.ts"
  mc_wait operator "$MC_STACK_DIR/logs/operator.log" 60 curl -fsS "http://127.0.0.1:$MC_OPERATOR_PORT/healthz"
fi

# The example platform, pointed at the local Ray Serve instead of a RayService.
sed "s#^  deployment: MonteCarloSimulator#  deployment: MonteCarloSimulator\n  endpoint: $RAY_SERVE_URL#" \
  examples/platform.yaml | k apply -f - >/dev/null
for f in examples/*assessment*.yaml examples/funded-account.yaml examples/history-bootstrap.yaml; do
  k apply -n prop-risk -f "$f" >/dev/null
done
mc_log "waiting for the simulations to succeed"
k wait -n prop-risk --for=condition=Succeeded --timeout=600s montecarlosimulations --all >/dev/null ||
  { k get montecarlosimulations -n prop-risk -o yaml | grep -A3 'message:' >&2; mc_die "a simulation did not succeed"; }
k get montecarlosimulations -n prop-risk
