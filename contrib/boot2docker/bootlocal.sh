#!/bin/sh
# /var/lib/boot2docker/bootlocal.sh — start dom0 at boot on a boot2docker host.
#
# boot2docker runs this script (as root, busybox sh) at the end of boot. It may run before the
# Docker daemon answers (boot2docker issue #804), so it first waits for the socket, up to
# DOM0_WAIT_SECONDS (default 120). Then, when the image dom0:latest is present (or can be loaded
# from /var/lib/boot2docker/dom0-image.tar, made with `docker save dom0:latest -o …`):
#   - a container named dom0 exists  -> docker start dom0
#   - otherwise                      -> the documented `docker run` (see docs/install.md)
# The manifest is /var/lib/boot2docker/dom0.yaml (boot2docker keeps /var/lib/boot2docker across
# reboots). Running it again is harmless. Output goes to stdout/stderr (boot2docker's boot log).

DOCKER="${DOCKER:-docker}"
WAIT="${DOM0_WAIT_SECONDS:-120}"
IMAGE="${DOM0_IMAGE:-dom0:latest}"
NAME=dom0
MANIFEST="${DOM0_MANIFEST_FILE:-/var/lib/boot2docker/dom0.yaml}"
IMAGE_TAR=/var/lib/boot2docker/dom0-image.tar

log() { echo "dom0-bootlocal: $*"; }

# 1. wait (bounded) for the Docker daemon to answer on its socket
i=0
until "$DOCKER" version >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -ge "$WAIT" ]; then
    log "the Docker daemon did not answer within ${WAIT}s; dom0 not started"
    exit 1
  fi
  sleep 1
done
log "Docker daemon answers after ${i}s"

# 2. the image
if ! "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then
  if [ -f "$IMAGE_TAR" ]; then
    log "loading $IMAGE from $IMAGE_TAR"
    "$DOCKER" load -i "$IMAGE_TAR" || { log "docker load failed"; exit 1; }
  fi
  if ! "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then
    log "image $IMAGE not present; dom0 not started"
    exit 0
  fi
fi

# 3. an existing container is started (its restart policy also brings it back on daemon restarts)
if "$DOCKER" container inspect "$NAME" >/dev/null 2>&1; then
  log "starting the existing container $NAME"
  exec "$DOCKER" start "$NAME"
fi

# without the manifest, `-v` would create a directory in its place: refuse instead
if [ ! -f "$MANIFEST" ]; then
  log "no manifest at $MANIFEST; dom0 not started"
  exit 0
fi

# 4. first boot: the documented docker run (dom0 needs only the socket; --privileged is not required)
log "creating and starting $NAME from $IMAGE"
exec "$DOCKER" run -d --name "$NAME" --restart always --privileged \
  -v /var/run/docker.sock:/var/run/docker.sock \
  -v "$MANIFEST":/etc/dom0/dom0.yaml:ro \
  -v dom0-state:/var/lib/dom0 \
  "$IMAGE"
