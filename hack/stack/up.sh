#!/usr/bin/env bash
# Starts the local stack on 127.0.0.1: etcd, kube-apiserver (RBAC on) with
# KubeRay's RayService CRD and the project's CRDs, PostgreSQL with the
# migrations applied, and Ray Serve running ray/. Each piece waits for its
# own readiness before the next starts. Stop with hack/stack/down.sh.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/certs.sh"

pieces=${MC_STACK_PIECES:-etcd apiserver crds postgres ray}
steps="system node go_tools kuberay_crds"
[[ " $pieces " == *" ray "* ]] && steps+=" python"
"$MC_REPO/hack/stack/install.sh" "$steps"
mkdir -p "$MC_STACK_DIR/logs"
started=$SECONDS
mc_secret "$MC_DB_PASSWORD_FILE"
MC_DATABASE_URL=$(mc_database_url)

# A piece already running is left alone, so up.sh can be re-run to restart
# only what is down.
running() { [[ -f $MC_STACK_DIR/$1.pid ]] && kill -0 "$(cat "$MC_STACK_DIR/$1.pid")" 2>/dev/null; }

start_etcd() {
  running etcd && return 0
  mc_log "etcd on 127.0.0.1:$MC_ETCD_PORT"
  mc_spawn etcd "$MC_TOOLS_DIR/etcd" --name local --data-dir "$MC_STACK_DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:$MC_ETCD_PORT" \
    --advertise-client-urls "http://127.0.0.1:$MC_ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$MC_ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$MC_ETCD_PEER_PORT" \
    --initial-cluster "local=http://127.0.0.1:$MC_ETCD_PEER_PORT" \
    --unsafe-no-fsync --quota-backend-bytes 4294967296
  mc_wait etcd "$MC_STACK_DIR/logs/etcd.log" 60 \
    curl -fsS "http://127.0.0.1:$MC_ETCD_PORT/health"
}

# ConfigMaps are served without the watch cache (their watches go to etcd), so
# that the informer tests can provoke a real 410 Gone by compacting etcd; a
# fresh API server's watch cache would replay history instead. Nothing in the
# operator uses ConfigMaps.
# The audit log records service accounts' requests with their response codes,
# so tests can count what the API server refused the operator's identity.
# MC_APISERVER_PROFILING=true serves /debug/pprof (docs/performance.md).
start_apiserver() {
  local pki=$MC_STACK_DIR/pki
  mc_make_certs
  mc_write_kubeconfig
  running apiserver && return 0
  cat >"$MC_STACK_DIR/audit-policy.yaml" <<'POLICY'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: Metadata
    userGroups: ["system:serviceaccounts"]
  - level: None
POLICY
  mc_log "kube-apiserver on https://127.0.0.1:$MC_APISERVER_PORT (RBAC)"
  mc_spawn apiserver "$MC_TOOLS_DIR/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$MC_ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$MC_APISERVER_PORT" \
    --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/ca.crt" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --authorization-mode RBAC --service-cluster-ip-range 10.96.0.0/16 \
    --endpoint-reconciler-type none --profiling="${MC_APISERVER_PROFILING:-false}" --cert-dir "$pki" \
    --watch-cache-sizes configmaps#0 \
    --audit-policy-file "$MC_STACK_DIR/audit-policy.yaml" \
    --audit-log-path "$MC_STACK_DIR/logs/audit.log" --audit-log-maxsize 200 --audit-log-maxbackup 1
  mc_wait apiserver "$MC_STACK_DIR/logs/apiserver.log" 120 \
    curl -fsS --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
    "https://127.0.0.1:$MC_APISERVER_PORT/readyz"
}

install_crds() {
  local kuberay
  kuberay=$(cat "$MC_CACHE_DIR/kuberay-crds-$MC_KUBERAY_VERSION.path")
  mc_log "installing KubeRay's RayService CRD ($MC_KUBERAY_VERSION), crds/ and the finalizer policy"
  # RayService's CRD is larger than client-side apply's annotation limit.
  "$MC_KUBECTL" --kubeconfig "$MC_KUBECONFIG" apply --server-side --force-conflicts \
    -f "$kuberay/ray.io_rayservices.yaml" >/dev/null
  if compgen -G "$MC_REPO/crds/*.yaml" >/dev/null; then
    "$MC_KUBECTL" --kubeconfig "$MC_KUBECONFIG" apply --server-side --force-conflicts \
      -f "$MC_REPO/crds/" >/dev/null
  fi
  # The finalizer at creation, as the dev overlay sets it up (docs/deploy.md).
  "$MC_KUBECTL" --kubeconfig "$MC_KUBECONFIG" apply --server-side --force-conflicts \
    -f "$MC_REPO/manifests/components/simulation-finalizer-policy/policy.yaml" >/dev/null
  # A CRD fresh from apply has no conditions yet, which `kubectl wait` reports as an error: poll.
  mc_wait crds "$MC_STACK_DIR/logs/apiserver.log" 60 \
    "$MC_KUBECTL" --kubeconfig "$MC_KUBECONFIG" wait --for condition=Established --timeout 5s crd --all
}

start_postgres() {
  local data=$MC_PG_DIR/data log=$MC_PG_DIR/postgres.log
  [[ -n $MC_PG_BIN ]] || mc_die "PostgreSQL binaries not found (install.sh installs Debian's postgresql)"
  if [[ ! -f $data/PG_VERSION ]]; then
    mkdir -p "$data" && chown -R postgres: "$MC_PG_DIR" && chmod 700 "$data"
    runuser -u postgres -- "$MC_PG_BIN/initdb" -D "$data" -U postgres --auth-local=trust \
      --auth-host=scram-sha-256 >"$MC_STACK_DIR/logs/initdb.log" 2>&1 ||
      mc_die "initdb failed; log: $MC_STACK_DIR/logs/initdb.log"
  fi
  ln -sf "$log" "$MC_STACK_DIR/logs/postgres.log"
  if ! runuser -u postgres -- "$MC_PG_BIN/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    mc_log "PostgreSQL on 127.0.0.1:$MC_PG_PORT (data: $data)"
    runuser -u postgres -- "$MC_PG_BIN/pg_ctl" -D "$data" -l "$log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$MC_PG_PORT -c unix_socket_directories=$data -c fsync=off -c max_connections=200 -c shared_preload_libraries=pg_stat_statements" \
      start >/dev/null || mc_die "PostgreSQL did not start; log: $log"
  fi
  # The password goes in on stdin, not on a command line `ps` shows.
  runuser -u postgres -- psql -h "$data" -p "$MC_PG_PORT" -U postgres -qtA -v ON_ERROR_STOP=1 >/dev/null <<SQL ||
\set password $(cat "$MC_DB_PASSWORD_FILE")
SELECT 'exists' FROM pg_roles WHERE rolname = 'montecarlo';
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'montecarlo') THEN
    CREATE ROLE montecarlo LOGIN CREATEDB;
  END IF;
END \$\$;
ALTER ROLE montecarlo PASSWORD :'password';
SELECT 'CREATE DATABASE montecarlo OWNER montecarlo'
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'montecarlo')\gexec
\c montecarlo
-- The benchmark counts the operator's statements (bench/operator.ts).
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
GRANT pg_read_all_stats TO montecarlo;
SQL
    mc_die "creating the montecarlo role and database failed; log: $log"
  mc_log "applying prisma/migrations"
  DATABASE_URL=$MC_DATABASE_URL "$MC_NODE" "$MC_REPO/src/migrate.ts" >"$MC_STACK_DIR/logs/migrate.log" 2>&1 ||
    { tail -n 20 "$MC_STACK_DIR/logs/migrate.log" >&2; mc_die "migrations failed; log: $MC_STACK_DIR/logs/migrate.log"; }
}

# Ray with token authentication and its dashboard (the Serve and Jobs REST
# APIs) on loopback; the simulator requires its own bearer token.
start_ray() {
  running ray && return 0
  mc_secret "$MC_RAY_TOKEN_FILE"
  mc_secret "$MC_SIMULATOR_TOKEN_FILE"
  mc_log "Ray Serve on 127.0.0.1:$MC_RAY_PORT, dashboard on 127.0.0.1:$MC_RAY_DASHBOARD_PORT ($MC_RAY_CPUS CPUs, token auth)"
  rm -rf "$MC_RAY_TMP"
  (cd "$MC_REPO/ray" && mc_spawn ray env PYTHONPATH="$MC_REPO/ray" RAY_USAGE_STATS_ENABLED=0 \
    SIMULATOR_AUTH_MODE=token SIMULATOR_TOKEN_FILE="$MC_SIMULATOR_TOKEN_FILE" \
    "$MC_VENV/bin/python" -m montecarlo_sim.local --port "$MC_RAY_PORT" --num-cpus "$MC_RAY_CPUS" \
    --temp-dir "$MC_RAY_TMP" --dashboard-port "$MC_RAY_DASHBOARD_PORT" --ray-token-file "$MC_RAY_TOKEN_FILE")
  mc_wait ray "$MC_STACK_DIR/logs/ray.log" 180 curl -fsS "$MC_RAY_URL/health"
  mc_wait ray "$MC_STACK_DIR/logs/ray.log" 60 curl -fsS "$MC_RAY_DASHBOARD_URL/api/gcs_healthz"
}

for piece in $pieces; do
  case $piece in
    etcd) start_etcd ;;
    apiserver) start_apiserver ;;
    crds) install_crds ;;
    postgres) start_postgres ;;
    ray) start_ray ;;
    *) mc_die "unknown piece $piece" ;;
  esac
done
"$MC_REPO/hack/stack/env.sh" >"$MC_STACK_DIR/env"
mc_log "stack up in $((SECONDS - started))s; eval \"\$(hack/stack/env.sh)\" to use it"
