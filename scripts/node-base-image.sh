#!/usr/bin/env bash
# scripts/node-base-image.sh — a local Node.js base image, dom0-test/node:local, made from this
# machine's own node, for building dom0's Dockerfile where no registry serves node images:
#
#   bash scripts/node-base-image.sh            build the image unless it exists
#   bash scripts/node-base-image.sh --force    rebuild it
#
# The image holds: node (the real path of `command -v node`) and the shared libraries `ldd` lists,
# with the dynamic loader, at their paths; npm (the node_modules/npm next to node) with `npm` and
# `npx` wrappers in /usr/local/bin; a static busybox (Debian's busybox-static) with its applets as
# symlinks, for /bin/sh, /usr/bin/env and friends; /etc/passwd and /etc/group with root; /tmp 1777;
# and, when this machine's npm uses extra CA certificates (`npm config get cafile`,
# NODE_EXTRA_CA_CERTS), those certificates at /etc/ssl/certs/dom0-build-ca.pem with
# NODE_EXTRA_CA_CERTS and npm_config_cafile pointing there, so `npm ci` in a build step
# (docker build --network host) reaches the npm registry the way this machine does.
#
# Environment:
#   DOCKER_HOST           the engine to build on (as for the docker client)
#   DOM0_NODE_BASE_IMAGE  image name (default dom0-test/node:local)
#   DOM0_NODE_BIN         the node to take (default: command -v node)
set -euo pipefail

export PATH="${PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}"

IMAGE="${DOM0_NODE_BASE_IMAGE:-dom0-test/node:local}"
CA_PATH=/etc/ssl/certs/dom0-build-ca.pem
IMAGE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

log() { echo "[node-base] $*" >&2; }
die() { echo "[node-base] ERROR: $*" >&2; exit 1; }

FORCE=0
for a in "$@"; do
  case "$a" in
    --force | -f) FORCE=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $a (usage: $0 [--force])" ;;
  esac
done

# the Debian docker.io client matches the engine scripts/engine.sh runs; else whatever is on PATH
if [[ -x /usr/bin/docker ]]; then DOCKER=/usr/bin/docker
elif command -v docker >/dev/null 2>&1; then DOCKER="$(command -v docker)"
else die "no docker client found (apt-get install docker.io)"
fi
dk() { "$DOCKER" "$@"; }

dk version --format '{{.Server.Version}}' >/dev/null 2>&1 \
  || die "no Docker engine answers at ${DOCKER_HOST:-the default socket} (start one: bash scripts/engine.sh start)"

if (( ! FORCE )) && dk image inspect "$IMAGE" >/dev/null 2>&1; then
  log "$IMAGE exists (use --force to rebuild)"
  exit 0
fi

# ------------------------------------------------------------------ what goes in
NODE_LINK="${DOM0_NODE_BIN:-$(command -v node || true)}"
[[ -n $NODE_LINK ]] || die "no node on PATH"
NODE="$(readlink -f -- "$NODE_LINK")"
[[ -x $NODE ]] || die "node binary not executable: $NODE"
NODE_VERSION="$("$NODE" --version)"

NPM_DIR=""
for c in "$(dirname -- "$NODE")/../lib/node_modules/npm" "$(dirname -- "$NODE_LINK")/../lib/node_modules/npm"; do
  if [[ -f "$c/bin/npm-cli.js" ]]; then NPM_DIR="$(readlink -f -- "$c")"; break; fi
done
[[ -n $NPM_DIR ]] || die "no npm next to $NODE (expected ../lib/node_modules/npm)"

find_static_busybox() {
  local c
  for c in /bin/busybox /usr/bin/busybox; do
    [[ -x $c ]] || continue
    if ! ldd "$c" >/dev/null 2>&1; then echo "$c"; return 0; fi   # static: no ELF interpreter
  done
  return 1
}
BUSYBOX="$(find_static_busybox)" || {
  if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    die "no static busybox (apt-get install busybox-static)"
  fi
  log "installing busybox-static"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends busybox-static >&2 \
    || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends busybox-static >&2; }
  BUSYBOX="$(find_static_busybox)" || die "no static busybox after installing busybox-static"
}

# CA certificates npm on this machine trusts beyond the defaults (npm's cafile, NODE_EXTRA_CA_CERTS)
CA_FILES=()
add_ca() {
  local f="$1" g
  [[ -n $f && $f != null && $f != undefined && -s $f ]] || return 0
  f="$(readlink -f -- "$f")"
  for g in "${CA_FILES[@]}"; do [[ $g == "$f" ]] && return 0; done
  CA_FILES+=("$f")
}
add_ca "$(npm config get cafile 2>/dev/null || true)"
add_ca "${NODE_EXTRA_CA_CERTS:-}"

# ------------------------------------------------------------------ the root file system
ROOT="$(mktemp -d "${TMPDIR:-/tmp}/dom0-node-rootfs.XXXXXX")"
trap 'rm -rf -- "$ROOT"' EXIT

mkdir -p "$ROOT"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,usr/local/lib/node_modules,etc/ssl/certs,root,tmp,var/tmp,proc,sys,dev,run}
chmod 1777 "$ROOT/tmp" "$ROOT/var/tmp"
chmod 700 "$ROOT/root"

# node and the libraries it links, at their own paths (the loader too)
install -m 755 "$NODE" "$ROOT/usr/local/bin/node"
copy_lib() { # copy_lib /abs/path: the file (dereferenced) at that path, and at its real path
  local p="$1" real
  [[ -e $p ]] || die "library not found: $p"
  mkdir -p "$ROOT$(dirname -- "$p")"
  cp -L -- "$p" "$ROOT$p"
  real="$(readlink -f -- "$p")"
  if [[ $real != "$p" && ! -e "$ROOT$real" ]]; then
    mkdir -p "$ROOT$(dirname -- "$real")"
    cp -L -- "$p" "$ROOT$real"
  fi
}
LIBS=()
while read -r line; do
  # "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)"
  if [[ $line =~ =\>\ (/[^ ]+) ]]; then LIBS+=("${BASH_REMATCH[1]}")
  elif [[ $line =~ ^(/[^ ]+)\ \( ]]; then LIBS+=("${BASH_REMATCH[1]}")
  fi
done < <(ldd "$NODE")
(( ${#LIBS[@]} )) || die "ldd listed no libraries for $NODE"
for l in "${LIBS[@]}"; do copy_lib "$l"; done

# npm, with wrappers
cp -a -- "$NPM_DIR" "$ROOT/usr/local/lib/node_modules/npm"
for t in npm npx; do
  printf '#!/bin/sh\nexec /usr/local/bin/node /usr/local/lib/node_modules/npm/bin/%s-cli.js "$@"\n' "$t" \
    >"$ROOT/usr/local/bin/$t"
  chmod 755 "$ROOT/usr/local/bin/$t"
done

# busybox and its applets (sh, env, ln, mkdir, …) as symlinks
install -m 755 "$BUSYBOX" "$ROOT/bin/busybox"
while IFS= read -r a; do
  [[ -n $a && ! -e "$ROOT/$a" && ! -L "$ROOT/$a" ]] || continue
  mkdir -p "$ROOT/$(dirname -- "$a")"
  ln -s /bin/busybox "$ROOT/$a"
done < <("$ROOT/bin/busybox" --list-full)
[[ -L "$ROOT/bin/sh" ]] || ln -s busybox "$ROOT/bin/sh"
[[ -e "$ROOT/usr/bin/env" ]] || ln -s /bin/busybox "$ROOT/usr/bin/env"

cat >"$ROOT/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$ROOT/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
printf 'hosts: files dns\n' >"$ROOT/etc/nsswitch.conf"

ENV_ARGS=(-c "ENV PATH=$IMAGE_PATH" -c "ENV NODE_VERSION=${NODE_VERSION#v}" -c "ENV npm_config_update_notifier=false" -c 'CMD ["node"]')
if (( ${#CA_FILES[@]} )); then
  cat -- "${CA_FILES[@]}" >"$ROOT$CA_PATH"
  chmod 644 "$ROOT$CA_PATH"
  ENV_ARGS+=(-c "ENV NODE_EXTRA_CA_CERTS=$CA_PATH" -c "ENV npm_config_cafile=$CA_PATH")
  log "CA certificates from ${CA_FILES[*]} -> $CA_PATH"
fi

log "building $IMAGE: node $NODE_VERSION ($NODE), npm $("$NODE" "$NPM_DIR/bin/npm-cli.js" --version 2>/dev/null || echo '?'), busybox $BUSYBOX"
tar --numeric-owner --owner=0 --group=0 -C "$ROOT" -c . \
  | dk import "${ENV_ARGS[@]}" -m "dom0 test base: node $NODE_VERSION from $NODE" - "$IMAGE" >/dev/null

# sanity: node, npm and a shell run
# shellcheck disable=SC2016  # expanded by the image's shell
out="$(dk run --rm --network none "$IMAGE" sh -c 'node -e "process.stdout.write(process.version)" && echo " npm $(npm --version)"' 2>&1)" \
  || die "$IMAGE does not run: $out"
log "$IMAGE ready: $out ($(dk image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.1f MB", $1/1e6}'))"
