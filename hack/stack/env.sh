#!/usr/bin/env bash
# Prints the environment that points tools and tests at the local stack:
#   eval "$(hack/stack/env.sh)"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cat <<ENV
export KUBECONFIG='$MC_KUBECONFIG'
export DATABASE_URL='$MC_DATABASE_URL'
export RAY_SERVE_URL='$MC_RAY_URL'
export RAY_DASHBOARD_URL='$MC_RAY_DASHBOARD_URL'
export RAY_AUTH_TOKEN_PATH='$MC_RAY_TOKEN_FILE'
export SIMULATOR_TOKEN_FILE='$MC_SIMULATOR_TOKEN_FILE'
export MC_ETCD_URL='http://127.0.0.1:$MC_ETCD_PORT'
export MC_STACK_DIR='$MC_STACK_DIR'
# Tests stop and start pieces (hack/stack/down.sh ray): they must reach this
# stack's ports and data, not the defaults of another stack.
export MC_PORT_BASE='$MC_PORT_BASE' MC_PG_PORT='$MC_PG_PORT' MC_RAY_PORT='$MC_RAY_PORT'
export MC_PG_DIR='$MC_PG_DIR' MC_RAY_TMP='$MC_RAY_TMP'
export MC_OPERATOR_PORT='$MC_OPERATOR_PORT'
export MC_VENV='$MC_VENV'
export KUBECTL='$MC_KUBECTL'
export PATH='$MC_TOOLS_DIR':"\$PATH"
ENV
