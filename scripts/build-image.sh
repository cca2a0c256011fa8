#!/usr/bin/env bash
# scripts/build-image.sh — build dom0's image (the Dockerfile) on the engine at DOCKER_HOST.
#
#   bash scripts/build-image.sh                 build dom0:latest on dom0-test/node:local (made first
#                                               by scripts/node-base-image.sh when missing), then
#                                               print the size of dom0's own layers over the base
#   bash scripts/build-image.sh --if-changed    the same, but keep an existing image whose
#                                               io.dom0.source-hash label matches the sources
#   bash scripts/build-image.sh --hash          print the source hash and exit
#   bash scripts/build-image.sh --force-base    rebuild the base image too
#
# The source hash covers what goes into the image: Dockerfile, .dockerignore, package.json,
# package-lock.json, tsconfig*.json, scripts/bundle.mjs, src/ and the base image's id.
#
# Environment:
#   DOCKER_HOST            the engine (as for the docker client)
#   DOM0_IMAGE             tag to build (default dom0:latest)
#   DOM0_NODE_IMAGE        base image (default dom0-test/node:local, built locally when missing;
#                          any other value, e.g. node:22-alpine, is used as it is)
set -euo pipefail

export PATH="${PATH:-/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin}"

ROOT="$(cd "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)"
IMAGE="${DOM0_IMAGE:-dom0:latest}"
LOCAL_BASE=dom0-test/node:local
BASE="${DOM0_NODE_IMAGE:-$LOCAL_BASE}"
HASH_LABEL=io.dom0.source-hash

log() { echo "[build-image] $*" >&2; }
die() { echo "[build-image] ERROR: $*" >&2; exit 1; }

MODE='build' IF_CHANGED=0 FORCE_BASE=0
for a in "$@"; do
  case "$a" in
    --hash) MODE='hash' ;;
    --if-changed) IF_CHANGED=1 ;;
    --force-base) FORCE_BASE=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $a" ;;
  esac
done

if [[ -x /usr/bin/docker ]]; then DOCKER=/usr/bin/docker
elif command -v docker >/dev/null 2>&1; then DOCKER="$(command -v docker)"
else die "no docker client found (apt-get install docker.io)"
fi
dk() { "$DOCKER" "$@"; }

base_id() { dk image inspect -f '{{.Id}}' "$BASE" 2>/dev/null || echo none; }

source_hash() {
  local files
  cd "$ROOT"
  files="$( { printf '%s\n' Dockerfile .dockerignore package.json package-lock.json tsconfig.json tsconfig.build.json scripts/bundle.mjs
              find src -type f; } | LC_ALL=C sort -u)"
  {
    echo "base $(base_id)"
    while IFS= read -r f; do
      [[ -f $f ]] && sha256sum -- "$f"
    done <<<"$files"
  } | sha256sum | cut -d' ' -f1
}

mb() { awk -v b="$1" 'BEGIN { printf "%.2f MB", b / 1e6 }'; }

if [[ $MODE == hash ]]; then source_hash; exit 0; fi

dk version --format '{{.Server.Version}}' >/dev/null 2>&1 \
  || die "no Docker engine answers at ${DOCKER_HOST:-the default socket} (start one: bash scripts/engine.sh start)"

if [[ $BASE == "$LOCAL_BASE" ]]; then
  if (( FORCE_BASE )); then bash "$ROOT/scripts/node-base-image.sh" --force
  else bash "$ROOT/scripts/node-base-image.sh"
  fi
fi
dk image inspect "$BASE" >/dev/null 2>&1 || log "base $BASE not present; docker build will try to pull it"

HASH="$(source_hash)"
if (( IF_CHANGED )) && [[ "$(dk image inspect -f "{{index .Config.Labels \"$HASH_LABEL\"}}" "$IMAGE" 2>/dev/null || true)" == "$HASH" ]]; then
  log "$IMAGE is up to date (source hash $HASH)"
else
  log "building $IMAGE on $BASE (source hash $HASH)"
  # the classic builder: it honours --network host for RUN steps on every engine version
  DOCKER_BUILDKIT=0 dk build \
    --network host \
    --build-arg "NODE_IMAGE=$BASE" \
    --build-arg "DOM0_VERSION=$(node -p "require('$ROOT/package.json').version")" \
    --build-arg "DOM0_REVISION=$(git -C "$ROOT" rev-parse HEAD 2>/dev/null || true)" \
    --build-arg "DOM0_CREATED=$(git -C "$ROOT" log -1 --format=%cI 2>/dev/null || true)" \
    --build-arg "DOM0_VCS_URL=$(git -C "$ROOT" remote get-url origin 2>/dev/null || true)" \
    --label "$HASH_LABEL=$HASH" \
    --label io.dom0.image=dom0 \
    -t "$IMAGE" \
    "$ROOT" >&2
  # the image this one replaced, now untagged
  dk image prune -f --filter dangling=true --filter label=io.dom0.image=dom0 >/dev/null 2>&1 || true
fi

# dom0's own layers: the image's size less the base's (the final stage starts FROM the base)
size="$(dk image inspect -f '{{.Size}}' "$IMAGE")"
base_size="$(dk image inspect -f '{{.Size}}' "$BASE")"
layers="$(dk image inspect -f '{{len .RootFS.Layers}}' "$IMAGE")"
base_layers="$(dk image inspect -f '{{len .RootFS.Layers}}' "$BASE")"
own=$(( size - base_size ))
echo "$IMAGE: $own bytes ($(mb "$own")) in $(( layers - base_layers )) layer(s) of its own over $BASE ($(mb "$base_size")); total $(mb "$size")"
