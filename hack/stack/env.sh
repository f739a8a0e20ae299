#!/usr/bin/env bash
# Prints the environment that points tools and tests at the local stack:
#   eval "$(hack/stack/env.sh)"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cat <<ENV
export KUBECONFIG='$MC_KUBECONFIG'
export DATABASE_URL='$MC_DATABASE_URL'
export RAY_SERVE_URL='$MC_RAY_URL'
export RAY_DASHBOARD_URL='$MC_RAY_DASHBOARD_URL'
export RAY_AUTH_TOKEN='$(cat "$MC_RAY_AUTH_TOKEN_FILE" 2>/dev/null || true)'
export MC_ETCD_URL='http://127.0.0.1:$MC_ETCD_PORT'
export MC_STACK_DIR='$MC_STACK_DIR'
export MC_OPERATOR_PORT='$MC_OPERATOR_PORT'
export MC_VENV='$MC_VENV'
export KUBECTL='$MC_KUBECTL'
export PATH='$MC_TOOLS_DIR':"\$PATH"
ENV
