#!/usr/bin/env bash
# Installs what `make test` needs, and only what is missing, so that it is
# fast when everything is present. Safe to run again and again.
#
#   bash scripts/deps.sh            Debian packages, then npm packages
#   bash scripts/deps.sh --npm-only npm packages only (used by `make build`)
#
# Runs as root on a bare Debian machine (or with sudo as another user).
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages: one "package path" pair a line. The package is installed
# when the path does not exist. To add a package, add a line.
APT_PACKAGES=(
  "chromium      /usr/bin/chromium"
  "fonts-nanum   /usr/share/fonts/truetype/nanum/NanumGothic.ttf"
  "python3-stomp /usr/lib/python3/dist-packages/stomp/__init__.py"
  "postgresql    /usr/lib/postgresql/15/bin/initdb"
  "rabbitmq-server /usr/lib/rabbitmq/bin/rabbitmq-server"
)

log() { printf 'deps: %s\n' "$*"; }

apt_deps() {
  local missing=() entry pkg path
  for entry in "${APT_PACKAGES[@]}"; do
    read -r pkg path <<<"$entry"
    if [[ -e "$path" ]]; then
      log "$pkg present ($path)"
    else
      log "$pkg missing ($path not found)"
      missing+=("$pkg")
    fi
  done
  if ((${#missing[@]} == 0)); then
    log "apt: nothing to install"
    return
  fi
  local sudo=()
  if ((EUID != 0)); then
    if command -v sudo >/dev/null; then
      sudo=(sudo -n)
    else
      log "apt: need root to install ${missing[*]}" >&2
      exit 1
    fi
  fi
  log "apt-get update"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  log "apt-get install ${missing[*]}"
  # The tests run PostgreSQL and RabbitMQ of their own on loopback ports;
  # the packages' system services must not start (RabbitMQ's would listen
  # on every interface). A policy-rc.d that refuses is in place for the
  # install only, unless the machine has one already.
  local policy=/usr/sbin/policy-rc.d own_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    own_policy=1
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}"
  if ((own_policy)); then "${sudo[@]}" rm -f "$policy"; fi
  for entry in "${APT_PACKAGES[@]}"; do
    read -r pkg path <<<"$entry"
    if [[ ! -e "$path" ]]; then
      log "$pkg installed but $path still missing" >&2
      exit 1
    fi
  done
}

npm_deps() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    log "node and npm are required (Node 20 or newer)" >&2
    exit 1
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  if ((major < 20)); then
    log "Node $(node --version) is too old: Node 20 or newer is required" >&2
    exit 1
  fi
  # npm writes node_modules/.package-lock.json on every install; when it is
  # older than package-lock.json, node_modules is stale.
  local marker=node_modules/.package-lock.json
  if [[ ! -d node_modules ]]; then
    log "npm ci (node_modules missing)"
  elif [[ ! -e $marker ]]; then
    log "npm ci ($marker missing)"
  elif [[ package-lock.json -nt $marker ]]; then
    log "npm ci (package-lock.json is newer than node_modules)"
  else
    log "npm: node_modules up to date"
    return
  fi
  npm ci --no-audit --no-fund
}

case "${1:-}" in
  --npm-only) npm_deps ;;
  "") apt_deps; npm_deps ;;
  *) echo "usage: $0 [--npm-only]" >&2; exit 2 ;;
esac
