#!/usr/bin/env bash
# Stops the local stack and checks that no process is left:
#   hack/stack/down.sh                 every piece
#   hack/stack/down.sh ray postgres    just those (tests use this to simulate outages;
#                                      MC_STACK_PIECES=ray hack/stack/up.sh starts one again)
#   hack/stack/down.sh --purge         every piece, then delete the stack's data
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

purge=false
pieces=()
for arg in "$@"; do
  case $arg in
    --purge) purge=true ;;
    operator | kuberay-standin | ray | postgres | apiserver | etcd) pieces+=("$arg") ;;
    *) mc_die "unknown argument $arg" ;;
  esac
done
# The demo's operator and KubeRay stand-in first: they talk to the rest.
all=(operator kuberay-standin ray postgres apiserver etcd)
((${#pieces[@]})) || pieces=("${all[@]}")


stop_postgres() {
  [[ -f $MC_PG_DIR/data/postmaster.pid ]] || return 0
  runuser -u postgres -- "$MC_PG_BIN/pg_ctl" -D "$MC_PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}

for piece in "${pieces[@]}"; do
  case $piece in
    postgres) stop_postgres ;;
    *) mc_stop "$piece" ;;
  esac
done

if ((${#pieces[@]} == ${#all[@]})); then
  left=$(pgrep -fa -- "$MC_STACK_DIR|$MC_RAY_TMP|$MC_PG_DIR" | grep -v -e pgrep -e down.sh || true)
  [[ -z $left ]] || mc_die "processes left behind: $left"
  $purge && rm -rf "$MC_STACK_DIR" "$MC_RAY_TMP" "$MC_PG_DIR"
fi
mc_log "stopped: ${pieces[*]}"
