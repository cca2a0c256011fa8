#!/usr/bin/env bash
# scripts/engine.sh — a private Docker engine for dom0's integration tests and demo.
#
#   scripts/engine.sh start    start (idempotent), installing docker.io/busybox-static if missing,
#                              then build the local test images if absent
#   scripts/engine.sh stop     stop dockerd, its containerd/shims, unmount leftovers under the dir
#   scripts/engine.sh purge    stop, then delete the engine dir (images and all)
#   scripts/engine.sh status   exit 0 when running and answering, 3 otherwise
#   scripts/engine.sh env      print `export DOCKER_HOST=…` lines (eval "$(scripts/engine.sh env)")
#   scripts/engine.sh images   (re)build the local test images if absent (engine must be running)
#
# Environment:
#   DOM0_ENGINE_DIR            engine dir (default /tmp/dom0-engine); socket is $DIR/docker.sock
#   DOM0_ENGINE_START_TIMEOUT  seconds to wait for `docker info` after launch (default 30)
#   DOM0_ENGINE_STOP_TIMEOUT   seconds to wait after SIGTERM before SIGKILL (default 20)
#   DOM0_ENGINE_ADDRESS_POOL   --default-address-pool for user networks (default base=10.213.0.0/16,size=24)
#   DOM0_ENGINE_EXTRA_ARGS     more dockerd arguments, split on spaces (tests: a TLS listener on
#                              tcp://127.0.0.1:PORT with --tlsverify and certificates they made)
#
# The engine is fully separate from any other engine on the host: own data-root, exec-root,
# pidfile, socket and (managed) containerd; no default bridge and no iptables changes.
set -euo pipefail

export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}"

DIR_RAW="${DOM0_ENGINE_DIR:-/tmp/dom0-engine}"
DIR="$(realpath -m -- "$DIR_RAW")"
SOCK="$DIR/docker.sock"
HOST="unix://$SOCK"
PIDFILE="$DIR/docker.pid"
LOG="$DIR/dockerd.log"
DATA="$DIR/data"
EXEC="$DIR/exec"
LOCK="$DIR/.lock"
START_TIMEOUT="${DOM0_ENGINE_START_TIMEOUT:-30}"
STOP_TIMEOUT="${DOM0_ENGINE_STOP_TIMEOUT:-20}"
# user-defined networks get /24s from here: keeps clear of the 172.17-31/192.168 defaults other engines use
ADDRESS_POOL="${DOM0_ENGINE_ADDRESS_POOL:-base=10.213.0.0/16,size=24}"

BUSYBOX_IMAGE="busybox:latest"
BUSYBOX_ALIASES=("dom0-test/busybox:latest")

CLEANUP_DIRS=()
cleanup_tmp() { local d; for d in "${CLEANUP_DIRS[@]}"; do rm -rf -- "$d"; done; }
trap cleanup_tmp EXIT

log() { echo "[engine] $*" >&2; }
die() { echo "[engine] ERROR: $*" >&2; exit 1; }

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

# unix socket paths are limited to 107 bytes
if (( ${#SOCK} > 100 )); then die "socket path too long (${#SOCK} chars): $SOCK — use a shorter DOM0_ENGINE_DIR"; fi

# ---------------------------------------------------------------- docker client
docker_bin() {
  if [[ -x /usr/bin/docker ]]; then echo /usr/bin/docker
  elif command -v docker >/dev/null 2>&1; then command -v docker
  else return 1
  fi
}
dk() {
  local bin
  bin="$(docker_bin)" || die "no docker client found (expected /usr/bin/docker from docker.io)"
  DOCKER_HOST="$HOST" "$bin" "$@"
}

# ---------------------------------------------------------------- packages
APT_UPDATED=0
apt_install() { # apt_install pkg...
  (( $# )) || return 0
  [[ "$(id -u)" == 0 ]] || die "missing packages ($*) and not root: install them first (apt-get install $*)"
  command -v apt-get >/dev/null 2>&1 || die "missing packages ($*) and no apt-get on this machine"
  export DEBIAN_FRONTEND=noninteractive
  # Don't let package scripts start system services (a system dockerd / registry) on install.
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

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'; }

ensure_deps() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 && command -v containerd >/dev/null 2>&1 \
    && command -v runc >/dev/null 2>&1 && docker_bin >/dev/null || missing+=(docker.io)
  # the image needs a *static* busybox; Debian's busybox-static provides /bin/busybox
  pkg_installed busybox-static || missing+=(busybox-static)
  command -v mountpoint >/dev/null 2>&1 || missing+=(util-linux)
  apt_install "${missing[@]}"
  command -v dockerd >/dev/null 2>&1 || die "dockerd still not found after installing docker.io"
}

# ---------------------------------------------------------------- processes
cmdline_of() { [[ -r /proc/$1/cmdline ]] && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null; }
alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null && [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" != Z ]]; }

ppid_of() {
  local line rest
  read -r line <"/proc/$1/stat" 2>/dev/null || return 1
  rest="${line##*) }"          # comm may contain spaces/parens; fields after it are safe
  set -- $rest
  echo "$2"
}

# all descendants of the given pids (not including them)
descendants() {
  local -A children=()
  local p pp
  for p in /proc/[0-9]*; do
    p="${p#/proc/}"
    pp="$(ppid_of "$p" 2>/dev/null)" || continue
    children[$pp]+="$p "
  done
  local queue=("$@") out=() cur c
  while (( ${#queue[@]} )); do
    cur="${queue[0]}"; queue=("${queue[@]:1}")
    for c in ${children[$cur]:-}; do out+=("$c"); queue+=("$c"); done
  done
  echo "${out[@]:-}"
}

# pids whose command line mentions this engine's exec-root (its containerd and shims)
engine_helpers() {
  local p cl out=()
  for p in /proc/[0-9]*; do
    p="${p#/proc/}"
    [[ "$p" == "$$" || "$p" == "$BASHPID" ]] && continue
    cl="$(cmdline_of "$p")" || continue
    case "$cl" in
      *containerd*"$EXEC/"*) out+=("$p") ;;
    esac
  done
  echo "${out[@]:-}"
}

# the dockerd pid of this engine, if running (validated against its command line)
dockerd_pid() {
  local pid
  [[ -s $PIDFILE ]] || return 1
  pid="$(tr -dc '0-9' <"$PIDFILE")"
  alive "$pid" || return 1
  [[ "$(cmdline_of "$pid")" == *dockerd*"$PIDFILE"* ]] || return 1
  echo "$pid"
}

# bounded: a wedged engine that accepts the connection but never answers must not hang start/stop
answering() { DOCKER_HOST="$HOST" timeout 10 "$(docker_bin)" info --format '{{.ServerVersion}}' >/dev/null 2>&1; }

# ---------------------------------------------------------------- mounts
mounts_under() { # mount points at or below $DIR, deepest first
  awk -v d="$DIR" '{ m=$5; gsub(/\\040/," ",m); if (m==d || index(m, d"/")==1) print length(m) "\t" m }' /proc/self/mountinfo \
    | sort -rn | cut -f2-
}

unmount_all() {
  local pass m left
  for pass in 1 2 3 4 5; do
    left=0
    while IFS= read -r m; do
      [[ -n $m ]] || continue
      left=1
      umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || log "warning: could not unmount $m"
    done < <(mounts_under)
    (( left )) || return 0
  done
  if [[ -n "$(mounts_under)" ]]; then
    log "warning: mounts still present under $DIR:"; mounts_under | sed 's/^/[engine]   /' >&2
    return 1
  fi
}

# ---------------------------------------------------------------- images
find_static_busybox() {
  local c
  for c in /bin/busybox /usr/bin/busybox; do
    [[ -x $c ]] || continue
    # static binaries have no ELF interpreter; `ldd` says "not a dynamic executable"
    if ! ldd "$c" >/dev/null 2>&1; then echo "$c"; return 0; fi
  done
  return 1
}

build_busybox_image() {
  local bb root
  bb="$(find_static_busybox)" || { apt_install busybox-static; bb="$(find_static_busybox)"; } \
    || die "no static busybox found (install busybox-static)"
  root="$(mktemp -d "${TMPDIR:-/tmp}/dom0-busybox-rootfs.XXXXXX")"
  CLEANUP_DIRS+=("$root")
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,root,home,var/tmp,tmp,proc,sys,dev,run,data}
  rmdir "$root/data"
  chmod 1777 "$root/tmp" "$root/var/tmp"
  cp "$bb" "$root/bin/busybox"
  chmod 755 "$root/bin/busybox"
  # symlinks at the applets' canonical locations (/bin, /sbin, /usr/bin, /usr/sbin)
  chroot "$root" /bin/busybox --install -s 2>/dev/null || true
  if [[ ! -e "$root/bin/sh" ]]; then
    local a
    for a in $(chroot "$root" /bin/busybox --list); do
      [[ -e "$root/bin/$a" ]] || ln -s busybox "$root/bin/$a"
    done
  fi
  [[ -e "$root/bin/sh" ]] || die "busybox rootfs has no /bin/sh"
  cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
  cat >"$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
  log "building $BUSYBOX_IMAGE from $bb"
  tar --numeric-owner -C "$root" -c . \
    | dk import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin:/usr/bin:/sbin:/usr/sbin' - "$BUSYBOX_IMAGE" >/dev/null
  rm -rf -- "$root"
}

ensure_images() {
  dk image inspect "$BUSYBOX_IMAGE" >/dev/null 2>&1 || build_busybox_image
  local t
  for t in "${BUSYBOX_ALIASES[@]}"; do
    dk image inspect "$t" >/dev/null 2>&1 || dk tag "$BUSYBOX_IMAGE" "$t"
  done
  # sanity: the image runs
  local out
  out="$(dk run --rm --network none "$BUSYBOX_IMAGE" echo dom0-busybox-ok 2>&1)" \
    || die "test image $BUSYBOX_IMAGE does not run: $out"
  [[ "$out" == *dom0-busybox-ok* ]] || die "test image $BUSYBOX_IMAGE printed unexpected output: $out"
}

# ---------------------------------------------------------------- commands
with_lock() {
  mkdir -p "$DIR"
  exec 9>"$LOCK"
  flock -w 180 9 || die "timed out waiting for lock $LOCK (another engine.sh running?)"
}

kill_leftovers() { # containerd/shims of this engine and whatever runs under them
  local helpers kids p
  helpers="$(engine_helpers)"
  [[ -n "${helpers// /}" ]] || return 0
  kids="$(descendants $helpers)"
  log "killing leftover engine processes: $helpers${kids:+ (children: $kids)}"
  for p in $helpers; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 1 30); do
    local any=0
    for p in $helpers; do alive "$p" && any=1; done
    (( any )) || break
    sleep 0.1
  done
  for p in $helpers $kids; do alive "$p" && kill -KILL "$p" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    local any=0
    for p in $helpers $kids; do alive "$p" && any=1; done
    (( any )) || return 0
    sleep 0.1
  done
  log "warning: some engine processes survived SIGKILL: $helpers $kids"
}

do_stop() {
  local pid kids
  if pid="$(dockerd_pid)"; then
    # A test engine needs no graceful container shutdown: kill running containers first so
    # dockerd does not wait out each container's stop timeout (10 s for PID-1 shells).
    if answering; then
      local running
      running="$(DOCKER_HOST="$HOST" timeout 15 "$(docker_bin)" ps -q 2>/dev/null | tr '\n' ' ')"
      if [[ -n "${running// /}" ]]; then
        log "killing running containers: $running"
        # shellcheck disable=SC2086
        timeout 15 "$(docker_bin)" -H "$HOST" kill $running >/dev/null 2>&1 || true
      fi
    fi
    kids="$(descendants "$pid")"
    log "stopping dockerd (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local i
    for (( i = 0; i < STOP_TIMEOUT * 10; i++ )); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      log "dockerd did not exit within ${STOP_TIMEOUT}s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      for (( i = 0; i < 50; i++ )); do alive "$pid" || break; sleep 0.1; done
      alive "$pid" && die "dockerd (pid $pid) survived SIGKILL"
    fi
    # children dockerd left behind (docker-proxy, docker-init…)
    local p
    for p in $kids; do
      if alive "$p" && [[ "$(cmdline_of "$p")" != *engine.sh* ]]; then kill -KILL "$p" 2>/dev/null || true; fi
    done
  else
    log "dockerd not running"
  fi
  kill_leftovers
  unmount_all || true
  rm -f "$SOCK" "$PIDFILE"
  log "stopped (dir $DIR)"
}

cmd_start() {
  with_lock
  local pid
  if pid="$(dockerd_pid)"; then
    if ! answering; then
      log "dockerd (pid $pid) is running but not answering yet; waiting"
      local i
      for (( i = 0; i < START_TIMEOUT * 5; i++ )); do answering && break; sleep 0.2; done
      answering || die "dockerd (pid $pid) is running but does not answer on $HOST; see $LOG or run: $0 stop"
    fi
    log "already running (pid $pid, $HOST)"
    ensure_deps
    ensure_images
    return 0
  fi

  ensure_deps
  # clean up after a crashed/killed engine
  if [[ -n "$(engine_helpers | tr -d ' ')" || -n "$(mounts_under)" || -e $SOCK || -e $PIDFILE ]]; then
    log "cleaning up leftovers of a previous engine in $DIR"
    kill_leftovers
    unmount_all || die "cannot unmount leftovers under $DIR"
    rm -f "$SOCK" "$PIDFILE"
  fi
  mkdir -p "$DATA" "$EXEC"

  log "starting dockerd ($HOST, log $LOG)"
  {
    echo
    echo "===== $(date -Is) engine.sh start ====="
  } >>"$LOG"
  # setsid: own session so the engine outlives the caller's process group; fd 9 (lock) not inherited
  setsid dockerd \
    --data-root "$DATA" \
    --exec-root "$EXEC" \
    --pidfile "$PIDFILE" \
    -H "$HOST" \
    --bridge none \
    --iptables=false \
    --ip6tables=false \
    --shutdown-timeout 3 \
    --default-address-pool "$ADDRESS_POOL" \
    ${DOM0_ENGINE_EXTRA_ARGS:-} \
    </dev/null >>"$LOG" 2>&1 9>&- &
  local launched=$!

  local deadline=$(( SECONDS + START_TIMEOUT ))
  until answering; do
    if ! alive "$launched"; then
      log "dockerd exited during startup; last lines of $LOG:"
      tail -n 30 "$LOG" | sed 's/^/[engine]   /' >&2
      kill_leftovers; unmount_all || true
      die "dockerd failed to start"
    fi
    if (( SECONDS >= deadline )); then
      log "dockerd did not answer within ${START_TIMEOUT}s; last lines of $LOG:"
      tail -n 30 "$LOG" | sed 's/^/[engine]   /' >&2
      die "dockerd did not become ready (pid $launched still running; run: $0 stop)"
    fi
    sleep 0.2
  done
  log "dockerd ready (pid $(dockerd_pid || echo "$launched"), server $(dk info --format '{{.ServerVersion}}'))"
  ensure_images
  log "ready: export DOCKER_HOST=$HOST"
}

cmd_stop() { with_lock; do_stop; }

cmd_purge() {
  with_lock
  do_stop
  if [[ -n "$(mounts_under)" ]]; then die "mounts remain under $DIR; not removing it"; fi
  exec 9>&-
  rm -rf -- "$DIR"
  log "removed $DIR"
}

cmd_status() {
  local pid
  if pid="$(dockerd_pid)" && answering; then
    echo "running: pid $pid, $HOST, server $(dk info --format '{{.ServerVersion}}' 2>/dev/null)"
    return 0
  elif pid="$(dockerd_pid)"; then
    echo "starting or hung: dockerd pid $pid does not answer on $HOST"
    return 3
  fi
  echo "not running ($DIR)"
  return 3
}

cmd_env() {
  printf 'export DOCKER_HOST=%q\n' "$HOST"
  printf 'export DOM0_TEST_DOCKER_HOST=%q\n' "$HOST"
}

cmd_images() {
  answering || die "engine not running ($HOST); run: $0 start"
  ensure_images
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  purge) cmd_purge ;;
  status) cmd_status ;;
  env) cmd_env ;;
  images) cmd_images ;;
  -h | --help | help) usage ;;
  *) echo "usage: $0 {start|stop|purge|status|env|images}" >&2; exit 2 ;;
esac
