#!/usr/bin/env bash
# The main job on a fresh or warm machine, both halves of the operator:
# brings up the local stack, starts the operator (simulation and platform
# controllers) and the local KubeRay stand-in, applies the simulator's
# RayService as Git has it (manifests/base: rayservice.yaml with
# ray/serve-config.yaml as its serve config base), the example platform and
# the example simulations, waits for them, and prints the platforms with the
# bounds applied, what Ray Serve itself reports, and the simulations with
# their results. The stack keeps running afterwards; stop it with
# hack/stack/down.sh.
source "$(dirname "${BASH_SOURCE[0]}")/stack/lib.sh"
cd "$MC_REPO"

"$MC_REPO/hack/stack/up.sh"
eval "$("$MC_REPO/hack/stack/env.sh")"
k() { "$MC_KUBECTL" "$@"; }
running() { [[ -f $MC_STACK_DIR/$1.pid ]] && kill -0 "$(cat "$MC_STACK_DIR/$1.pid")" 2>/dev/null; }

for ns in montecarlo-system prop-risk ray-system; do
  k create namespace "$ns" --dry-run=client -o yaml | k apply -f - >/dev/null
done

if ! running operator; then
  mc_log "operator, both controllers, on 127.0.0.1:$MC_OPERATOR_PORT (log: $MC_STACK_DIR/logs/operator.log)"
  mc_spawn operator env KUBECONFIG="$KUBECONFIG" DATABASE_URL="$DATABASE_URL" HTTP_HOST=127.0.0.1 \
    SIMULATOR_TOKEN_FILE="$SIMULATOR_TOKEN_FILE" \
    HTTP_PORT="$MC_OPERATOR_PORT" CONTROLLERS=simulation,platform "$MC_NODE" "$MC_REPO/src/main.ts"
  mc_wait operator "$MC_STACK_DIR/logs/operator.log" 60 curl -fsS "http://127.0.0.1:$MC_OPERATOR_PORT/healthz"
fi

# What KubeRay would do with the RayService's serveConfigV2, done for the
# local Ray: a stand-in (hack/kuberay-standin), not KubeRay.
rayservice=ray-system/vatic-prop-ray
if ! running kuberay-standin; then
  mc_log "KubeRay stand-in for $rayservice (log: $MC_STACK_DIR/logs/kuberay-standin.log)"
  mc_spawn kuberay-standin env KUBECONFIG="$KUBECONFIG" RAY_DASHBOARD_URL="$RAY_DASHBOARD_URL" \
    RAY_AUTH_TOKEN_PATH="$RAY_AUTH_TOKEN_PATH" "$MC_NODE" "$MC_REPO/hack/kuberay-standin/main.ts" --rayservice "$rayservice"
fi

# The RayService from the kustomize base. Its rayClusterConfig describes a
# real cluster; locally only its serve config base matters, which the
# platform renders into serveConfigV2 with its bounds.
k apply -k manifests/base -l app.kubernetes.io/name=montecarlo-ray >/dev/null
# The example platform, adapted to the local machine: its simulator endpoint
# is the local Ray Serve, and two replicas at most (two cores). The base's
# serve config says ten, so Serve's report below shows the platform's bound.
sed -e "s#^  deployment: MonteCarloSimulator#  deployment: MonteCarloSimulator\n  endpoint: $RAY_SERVE_URL#" \
  -e "s#maxReplicas: 10#maxReplicas: 2#" examples/platform.yaml | k apply -f - >/dev/null
mc_log "waiting for the platform: its bounds in the RayService, and the RayService ready on Ray Serve"
platform_current() {
  local g
  g=$(k get montecarloplatform default -o jsonpath='{.metadata.generation} {.status.observedGeneration}')
  [[ ${g% *} == "${g#* }" ]]
}
mc_wait operator "$MC_STACK_DIR/logs/operator.log" 120 platform_current
k wait --for=condition=Ready --timeout=300s montecarloplatform/default >/dev/null ||
  { k get montecarloplatform default -o yaml >&2; mc_die "the platform did not become Ready"; }

for f in examples/*assessment*.yaml examples/funded-account.yaml examples/history-bootstrap.yaml; do
  k apply -n prop-risk -f "$f" >/dev/null
done
mc_log "waiting for the simulations to succeed"
k wait -n prop-risk --for=condition=Succeeded --timeout=600s montecarlosimulations --all >/dev/null ||
  { k get montecarlosimulations -n prop-risk -o yaml | grep -A3 'message:' >&2; mc_die "a simulation did not succeed"; }

echo
k get montecarloplatforms
echo
k get rayservices -n ray-system
echo
echo "Ray Serve's own report (GET $RAY_DASHBOARD_URL/api/serve/applications/):"
curl -fsS -H "Authorization: Bearer $(cat "$RAY_AUTH_TOKEN_PATH")" "$RAY_DASHBOARD_URL/api/serve/applications/" |
  "$MC_VENV/bin/python" -c '
import json, sys
app = json.load(sys.stdin)["applications"]["simulator"]
dep = app["deployments"]["MonteCarloSimulator"]
auto = dep["deployment_config"]["autoscaling_config"]
running = sum(r["state"] == "RUNNING" for r in dep["replicas"])
print("  simulator/MonteCarloSimulator %s: min_replicas=%s max_replicas=%s target_ongoing_requests=%s running_replicas=%d"
      % (app["status"], auto["min_replicas"], auto["max_replicas"], auto["target_ongoing_requests"], running))'
echo
k get montecarlosimulations -n prop-risk
