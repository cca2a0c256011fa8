#!/usr/bin/env bash
# scripts/registry.sh — a private, authenticated Docker registry for dom0's tests and demo.
#
#   scripts/registry.sh start    start Debian's docker-registry on 127.0.0.1:5000 with htpasswd
#                                (bcrypt) auth; installs docker-registry/apache2-utils/curl if missing
#   scripts/registry.sh stop     stop it
#   scripts/registry.sh status   exit 0 when running and answering, 3 otherwise
#   scripts/registry.sh env      print export lines: DOM0_REGISTRY, DOM0_REGISTRY_USER, DOM0_REGISTRY_PASSWORD
#   scripts/registry.sh check    log in from the test engine (scripts/engine.sh), push busybox:latest,
#                                pull it back, and check that anonymous pulls are refused
#
# Environment:
#   DOM0_REGISTRY_DIR        storage, config.yml, htpasswd, log (default /tmp/dom0-registry)
#   DOM0_REGISTRY_USER       default dom0test
#   DOM0_REGISTRY_PASSWORD   default s3cret-registry-pw
#   DOM0_REGISTRY_ADDR       listen address (default 127.0.0.1:5000; Docker treats 127.0.0.0/8 as insecure)
#   DOM0_TEST_DOCKER_HOST    engine used by `check` (default: the one of scripts/engine.sh)
set -euo pipefail

export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}"

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
DIR="$(realpath -m -- "${DOM0_REGISTRY_DIR:-/tmp/dom0-registry}")"
USER_NAME="${DOM0_REGISTRY_USER:-dom0test}"
PASSWORD="${DOM0_REGISTRY_PASSWORD:-s3cret-registry-pw}"
ADDR="${DOM0_REGISTRY_ADDR:-127.0.0.1:5000}"
URL="http://$ADDR"
CONFIG="$DIR/config.yml"
HTPASSWD="$DIR/htpasswd"
PIDFILE="$DIR/registry.pid"
LOG="$DIR/registry.log"
LOCK="$DIR/.lock"
START_TIMEOUT="${DOM0_REGISTRY_START_TIMEOUT:-30}"

log() { echo "[registry] $*" >&2; }
die() { echo "[registry] ERROR: $*" >&2; exit 1; }

# ---------------------------------------------------------------- packages
APT_UPDATED=0
apt_install() { # apt_install pkg...
  (( $# )) || return 0
  [[ "$(id -u)" == 0 ]] || die "missing packages ($*) and not root: install them first (apt-get install $*)"
  command -v apt-get >/dev/null 2>&1 || die "missing packages ($*) and no apt-get on this machine"
  export DEBIAN_FRONTEND=noninteractive
  # Don't let the package's init script start a system registry on :5000.
  local policy=/usr/sbin/policy-rc.d added_policy=0
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && added_policy=1
  fi
  local rc=0
  if (( ! APT_UPDATED )); then
    log "apt-get update"
    apt-get update -qq >&2 || rc=$?
    APT_UPDATED=1
  fi
  if (( rc == 0 )); then
    log "apt-get install $*"
    apt-get install -y -qq --no-install-recommends "$@" >&2 || rc=$?
  fi
  (( added_policy )) && rm -f "$policy"
  (( rc == 0 )) || die "apt-get failed (rc=$rc) installing: $*"
}

ensure_deps() {
  local missing=()
  command -v docker-registry >/dev/null 2>&1 || missing+=(docker-registry)
  command -v htpasswd >/dev/null 2>&1 || missing+=(apache2-utils)
  command -v curl >/dev/null 2>&1 || missing+=(curl ca-certificates)
  apt_install "${missing[@]}"
}

# ---------------------------------------------------------------- state
cmdline_of() { [[ -r /proc/$1/cmdline ]] && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null; }
alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null && [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]; }

registry_pid() { # pid of *our* registry (validated against its command line)
  local pid
  [[ -s $PIDFILE ]] || return 1
  pid="$(tr -dc '0-9' <"$PIDFILE")"
  alive "$pid" || return 1
  [[ "$(cmdline_of "$pid")" == *docker-registry*"$CONFIG"* ]] || return 1
  echo "$pid"
}

http_code() { curl -s -o /dev/null -m 3 -w '%{http_code}' "$@" 2>/dev/null || true; }
answers_401() { [[ "$(http_code "$URL/v2/")" == 401 ]]; }
accepts_creds() { [[ "$(http_code -u "$USER_NAME:$PASSWORD" "$URL/v2/")" == 200 ]]; }

with_lock() {
  mkdir -p "$DIR"
  exec 9>"$LOCK"
  flock -w 120 9 || die "timed out waiting for lock $LOCK"
}

write_config() {
  mkdir -p "$DIR/storage"
  [[ -s "$DIR/http-secret" ]] || { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$DIR/http-secret"; }
  htpasswd -Bbn "$USER_NAME" "$PASSWORD" >"$HTPASSWD.tmp"
  mv "$HTPASSWD.tmp" "$HTPASSWD"
  chmod 600 "$HTPASSWD"
  cat >"$CONFIG" <<EOF
# written by scripts/registry.sh — test registry for dom0
version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $DIR/storage
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: $ADDR
  secret: $(cat "$DIR/http-secret")
  headers:
    X-Content-Type-Options: [nosniff]
auth:
  htpasswd:
    realm: dom0-test-registry
    path: $HTPASSWD
health:
  storagedriver:
    enabled: false
EOF
}

# ---------------------------------------------------------------- commands
do_stop() {
  local pid i
  if pid="$(registry_pid)"; then
    log "stopping docker-registry (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for (( i = 0; i < 100; i++ )); do alive "$pid" || break; sleep 0.1; done
    if alive "$pid"; then
      log "no exit after 10 s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for (( i = 0; i < 50; i++ )); do alive "$pid" || break; sleep 0.1; done
    fi
  else
    log "docker-registry not running"
  fi
  rm -f "$PIDFILE"
}

cmd_start() {
  with_lock
  ensure_deps
  local pid
  if pid="$(registry_pid)"; then
    if answers_401 && accepts_creds; then
      log "already running (pid $pid, $URL, user $USER_NAME)"
      return 0
    fi
    log "running (pid $pid) but not answering with these credentials; restarting"
    do_stop
  fi
  if [[ "$(http_code "$URL/v2/")" != 000 ]]; then
    die "something else already answers on $URL (not our registry from $DIR); stop it or set DOM0_REGISTRY_ADDR"
  fi

  write_config
  log "starting docker-registry on $URL (storage $DIR/storage, log $LOG)"
  echo "===== $(date -Is) registry.sh start =====" >>"$LOG"
  setsid docker-registry serve "$CONFIG" </dev/null >>"$LOG" 2>&1 9>&- &
  local launched=$!
  echo "$launched" >"$PIDFILE"

  local deadline=$(( SECONDS + START_TIMEOUT ))
  until answers_401; do
    if ! alive "$launched"; then
      log "docker-registry exited during startup; last lines of $LOG:"
      tail -n 20 "$LOG" | sed 's/^/[registry]   /' >&2
      rm -f "$PIDFILE"
      die "docker-registry failed to start"
    fi
    if (( SECONDS >= deadline )); then
      tail -n 20 "$LOG" | sed 's/^/[registry]   /' >&2
      die "docker-registry did not answer 401 on $URL/v2/ within ${START_TIMEOUT}s (pid $launched)"
    fi
    sleep 0.2
  done
  accepts_creds || die "registry is up but rejects $USER_NAME's credentials"
  log "ready: $URL (user $USER_NAME; anonymous → 401)"
}

cmd_stop() { with_lock; do_stop; }

cmd_status() {
  local pid
  if pid="$(registry_pid)" && answers_401; then
    echo "running: pid $pid, $URL, storage $DIR/storage"
    return 0
  fi
  echo "not running ($DIR)"
  return 3
}

cmd_env() {
  printf 'export DOM0_REGISTRY=%q\n' "$ADDR"
  printf 'export DOM0_REGISTRY_USER=%q\n' "$USER_NAME"
  printf 'export DOM0_REGISTRY_PASSWORD=%q\n' "$PASSWORD"
}

cmd_check() {
  answers_401 || die "registry not answering on $URL; run: $0 start"
  local host bin cfg ref out
  host="${DOM0_TEST_DOCKER_HOST:-$(bash "$HERE/engine.sh" env | sed -n 's/^export DOCKER_HOST=//p')}"
  if [[ -x /usr/bin/docker ]]; then bin=/usr/bin/docker; else bin="$(command -v docker)" || die "no docker client"; fi
  cfg="$(mktemp -d "${TMPDIR:-/tmp}/dom0-registry-check.XXXXXX")"
  # shellcheck disable=SC2064
  trap "rm -rf '$cfg'" EXIT
  dkc() { DOCKER_HOST="$host" DOCKER_CONFIG="$cfg" "$bin" "$@"; }
  dkc info >/dev/null 2>&1 || die "test engine not answering on $host; run: scripts/engine.sh start"
  ref="$ADDR/dom0-test/busybox:latest"

  log "anonymous push must be refused"
  dkc tag busybox:latest "$ref"
  if dkc push "$ref" >/dev/null 2>&1; then die "anonymous push to $ADDR succeeded — auth not enforced"; fi
  log "docker login $ADDR (engine $host)"
  out="$(printf '%s' "$PASSWORD" | dkc login "$ADDR" -u "$USER_NAME" --password-stdin 2>&1)" || die "login failed: $out"
  log "docker push $ref"
  out="$(dkc push "$ref" 2>&1)" || die "push failed: $out"
  dkc rmi "$ref" >/dev/null
  log "docker pull $ref"
  out="$(dkc pull "$ref" 2>&1)" || die "pull failed: $out"
  dkc run --rm --network none "$ref" echo pulled-image-runs | grep -q pulled-image-runs || die "pulled image does not run"
  dkc rmi "$ref" >/dev/null
  dkc logout "$ADDR" >/dev/null
  log "anonymous pull must be refused"
  if dkc pull "$ref" >/dev/null 2>&1; then die "anonymous pull from $ADDR succeeded — auth not enforced"; fi
  log "check ok: login, push, pull and auth enforcement work against $URL"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  env) cmd_env ;;
  check) cmd_check ;;
  *) echo "usage: $0 {start|stop|status|env|check}" >&2; exit 2 ;;
esac
