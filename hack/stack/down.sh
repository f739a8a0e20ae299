#!/usr/bin/env bash
# Stops every piece of the local stack and checks that no process is left.
# Data stays in $MC_STACK_DIR; pass --purge to delete it too.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mc_stop operator
mc_stop ray
if [[ -f $MC_STACK_DIR/pg/postmaster.pid ]]; then
  runuser -u postgres -- "$MC_PG_BIN/pg_ctl" -D "$MC_STACK_DIR/pg" -m fast -w stop >/dev/null 2>&1 || true
fi
mc_stop apiserver
mc_stop etcd
# Ray daemons (gcs, raylet, workers) carry the temp dir on their command line.
pkill -TERM -f -- "$MC_RAY_TMP" 2>/dev/null && sleep 2 && pkill -KILL -f -- "$MC_RAY_TMP" 2>/dev/null
left=$(pgrep -fa -- "$MC_STACK_DIR|$MC_RAY_TMP" | grep -v -e pgrep -e down.sh || true)
[[ -z $left ]] || mc_die "processes left behind: $left"
[[ ${1:-} == --purge ]] && rm -rf "$MC_STACK_DIR" "$MC_RAY_TMP"
mc_log "stack down"
