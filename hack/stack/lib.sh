# Shared settings of the local stack. Sourced, not run.
# Every port and directory can be overridden, so two stacks can run side by
# side: e.g. MC_STACK_DIR=/tmp/stack2 MC_PORT_BASE=31000 hack/stack/up.sh

set -euo pipefail

MC_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MC_CACHE_DIR=${MC_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/montecarlo-stack}
MC_STACK_DIR=${MC_STACK_DIR:-$MC_REPO/.stack}
MC_PORT_BASE=${MC_PORT_BASE:-26000}
MC_ETCD_PORT=${MC_ETCD_PORT:-$((MC_PORT_BASE + 1))}
MC_ETCD_PEER_PORT=${MC_ETCD_PEER_PORT:-$((MC_PORT_BASE + 2))}
MC_APISERVER_PORT=${MC_APISERVER_PORT:-$((MC_PORT_BASE + 3))}
MC_PG_PORT=${MC_PG_PORT:-$((MC_PORT_BASE + 4))}
MC_RAY_PORT=${MC_RAY_PORT:-$((MC_PORT_BASE + 5))}
MC_OPERATOR_PORT=${MC_OPERATOR_PORT:-$((MC_PORT_BASE + 6))}
MC_RAY_DASHBOARD_PORT=${MC_RAY_DASHBOARD_PORT:-$((MC_PORT_BASE + 7))}
MC_RAY_CPUS=${MC_RAY_CPUS:-2}

# Pinned versions: the Go tooling module pins etcd/kube-apiserver/kubectl.
MC_KUBERAY_MODULE=github.com/ray-project/kuberay/ray-operator
MC_KUBERAY_VERSION=v1.5.1

mc_hash() { cat "$@" | sha256sum | cut -c1-16; }
MC_TOOLS_DIR=$MC_CACHE_DIR/tools-$(mc_hash "$MC_REPO/hack/tools/go.mod" "$MC_REPO/hack/tools/go.sum")
MC_VENV=$MC_CACHE_DIR/venv-$(mc_hash "$MC_REPO/ray/requirements.txt" 2>/dev/null || echo none)
MC_NODE=$MC_REPO/node_modules/.bin/node
MC_KUBECTL=$MC_TOOLS_DIR/kubectl
MC_KUBECONFIG=$MC_STACK_DIR/admin.kubeconfig
MC_PG_BIN=${MC_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
# The database password is made once per stack too (up.sh), so that tests can
# look for a value that appears nowhere else (tests/integration/security).
MC_DB_PASSWORD_FILE=$MC_STACK_DIR/db-password
mc_database_url() {
  printf 'postgresql://montecarlo:%s@127.0.0.1:%s/montecarlo' "$(cat "$MC_DB_PASSWORD_FILE" 2>/dev/null)" "$MC_PG_PORT"
}
MC_DATABASE_URL=$(mc_database_url)
MC_RAY_URL=http://127.0.0.1:$MC_RAY_PORT
MC_RAY_DASHBOARD_URL=http://127.0.0.1:$MC_RAY_DASHBOARD_PORT
# Ray's token (RAY_AUTH_TOKEN_PATH) and the simulator's bearer token, made
# once per stack by mc_secret (docs/security.md).
MC_RAY_TOKEN_FILE=$MC_STACK_DIR/ray-token
MC_SIMULATOR_TOKEN_FILE=$MC_STACK_DIR/simulator-token
# PostgreSQL runs as the postgres user, which must reach its directory: keep
# it out of the checkout (which may sit under a private home directory).
MC_PG_DIR=${MC_PG_DIR:-/tmp/mcpg-$MC_PG_PORT}
# Ray's unix sockets must stay under ~100 characters: keep its temp dir short.
MC_RAY_TMP=${MC_RAY_TMP:-/tmp/mcray-$MC_RAY_PORT}

mc_log() { printf '[stack %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
mc_die() { printf '[stack] ERROR: %s\n' "$*" >&2; exit 1; }

# mc_secret FILE: create FILE with a random token (mode 600) unless it exists.
mc_secret() {
  [[ -s $1 ]] && return 0
  mkdir -p "$(dirname "$1")"
  (umask 077 && openssl rand -hex 32 >"$1.tmp" && mv "$1.tmp" "$1")
}

# mc_wait PIECE LOGFILE TIMEOUT_S CMD...: poll CMD until it succeeds.
mc_wait() {
  local piece=$1 logfile=$2 timeout=$3; shift 3
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      tail -n 30 "$logfile" >&2 2>/dev/null || true
      mc_die "$piece did not become ready within ${timeout}s; log: $logfile"
    fi
    if [[ -f $MC_STACK_DIR/$piece.pid ]] && ! kill -0 "$(cat "$MC_STACK_DIR/$piece.pid")" 2>/dev/null; then
      tail -n 30 "$logfile" >&2 2>/dev/null || true
      mc_die "$piece exited during start-up; log: $logfile"
    fi
    sleep 0.5
  done
}

# mc_spawn PIECE CMD...: start CMD in its own session (so stop can signal the
# whole group), logging to $MC_STACK_DIR/logs/PIECE.log.
mc_spawn() {
  local piece=$1; shift
  mkdir -p "$MC_STACK_DIR/logs"
  setsid "$@" >"$MC_STACK_DIR/logs/$piece.log" 2>&1 < /dev/null &
  echo $! >"$MC_STACK_DIR/$piece.pid"
}

# mc_stop PIECE: TERM every process in the piece's session (mc_spawn made the
# piece a session leader; Ray gives its workers process groups of their own
# but they stay in the session), then KILL what is left after a grace period.
mc_stop() {
  local piece=$1 pidfile=$MC_STACK_DIR/$1.pid sid
  [[ -f $pidfile ]] || return 0
  sid=$(cat "$pidfile")
  pkill -TERM -s "$sid" 2>/dev/null || true
  for _ in $(seq 1 40); do pgrep -s "$sid" >/dev/null || break; sleep 0.25; done
  pkill -KILL -s "$sid" 2>/dev/null || true
  for _ in $(seq 1 20); do pgrep -s "$sid" >/dev/null || break; sleep 0.25; done
  rm -f "$pidfile"
}
