#!/bin/sh
# /var/lib/boot2docker/bootlocal.sh — start dom0 at boot on a boot2docker host.
#
# boot2docker runs this script (as root, busybox sh) at the end of boot and keeps
# /var/lib/boot2docker across reboots. The fleet lives in a directory there,
# /var/lib/boot2docker/dom0, holding dom0.yaml (and whatever it names: .env, env_file, password
# files, the sources of relative binds). The script:
#   1. waits for the Docker daemon to answer (it may not yet: boot2docker issue #804), at most
#      DOM0_WAIT_SECONDS; gives up with exit 1
#   2. a container named dom0 exists -> docker start dom0 (nothing is recreated)
#   3. no dom0.yaml in the directory -> starts nothing, says so, exit 0
#   4. the image is missing -> docker load from dom0-image.tar when it is there; else says so, exit 1
#   5. first boot -> docker run -d --restart always with the Docker socket, the fleet DIRECTORY
#      read-only at /etc/dom0 and a state volume. Never --privileged: dom0 needs only the socket.
# The directory, not the file, is mounted: an editor that saves by rename is seen by `dom0 up`, and
# relative binds resolve to the host directory (dom0 maps its own mounts back to host paths).
# Running it again is harmless. Output goes to stdout (boot2docker's boot log). See docs/install.md.
#
# Environment (defaults in brackets):
#   DOM0_DIR            the fleet directory on the host [/var/lib/boot2docker/dom0]
#   DOM0_NAME           the container's name [dom0]
#   DOM0_IMAGE          the image [dom0:latest]
#   DOM0_IMAGE_TAR      loaded when the image is missing [/var/lib/boot2docker/dom0-image.tar]
#   DOM0_STATE_VOLUME   the named volume for /var/lib/dom0 [dom0-state]
#   DOM0_DOCKER_SOCKET  the host's Docker socket, mounted at /var/run/docker.sock [/var/run/docker.sock]
#   DOM0_WAIT_SECONDS   how long to wait for the daemon [120]
#   DOCKER              the docker client [docker]; DOCKER_HOST is honoured by it

DOCKER="${DOCKER:-docker}"
WAIT="${DOM0_WAIT_SECONDS:-120}"
IMAGE="${DOM0_IMAGE:-dom0:latest}"
NAME="${DOM0_NAME:-dom0}"
DIR="${DOM0_DIR:-/var/lib/boot2docker/dom0}"
IMAGE_TAR="${DOM0_IMAGE_TAR:-/var/lib/boot2docker/dom0-image.tar}"
STATE_VOLUME="${DOM0_STATE_VOLUME:-dom0-state}"
SOCKET="${DOM0_DOCKER_SOCKET:-/var/run/docker.sock}"
# where releases before the fleet directory kept the manifest
OLD_MANIFEST=/var/lib/boot2docker/dom0.yaml

log() { echo "dom0-bootlocal: $*"; }

# 1. wait (bounded) for the Docker daemon to answer
i=0
until "$DOCKER" version >/dev/null 2>&1; do
  if [ "$i" -ge "$WAIT" ]; then
    log "the Docker daemon did not answer within ${WAIT}s; dom0 not started"
    exit 1
  fi
  sleep 1
  i=$((i + 1))
done
log "the Docker daemon answers after ${i}s"

# 2. an existing container is started as it is (its --restart always also brings it back when the
#    daemon restarts); to run a new image or new mounts: docker rm -f dom0, then run this script
if "$DOCKER" container inspect "$NAME" >/dev/null 2>&1; then
  log "starting the existing container $NAME"
  "$DOCKER" start "$NAME" >/dev/null || { log "docker start $NAME failed"; exit 1; }
  log "$NAME started"
  exit 0
fi

# 3. the manifest: without it `-v` would mount an empty directory and dom0 would apply nothing
if [ ! -f "$DIR/dom0.yaml" ]; then
  if [ -f "$OLD_MANIFEST" ] && [ "$DIR" = /var/lib/boot2docker/dom0 ]; then
    log "no manifest at $DIR/dom0.yaml; found $OLD_MANIFEST, the old location: move it with" \
      "'mkdir -p $DIR && mv $OLD_MANIFEST $DIR/'; dom0 not started"
  else
    log "no manifest at $DIR/dom0.yaml; dom0 not started (put the fleet's dom0.yaml there)"
  fi
  exit 0
fi

# 4. the image
if ! "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then
  if [ -f "$IMAGE_TAR" ]; then
    log "loading $IMAGE from $IMAGE_TAR"
    "$DOCKER" load -i "$IMAGE_TAR" >/dev/null || { log "docker load -i $IMAGE_TAR failed; dom0 not started"; exit 1; }
  fi
  if ! "$DOCKER" image inspect "$IMAGE" >/dev/null 2>&1; then
    log "image $IMAGE is not present and $IMAGE_TAR does not provide it; dom0 not started" \
      "(docker load -i dom0-image.tar, or leave the tar at $IMAGE_TAR)"
    exit 1
  fi
fi

# 5. first boot: the documented `docker run` (docs/install.md)
log "creating and starting $NAME from $IMAGE with $DIR at /etc/dom0"
id="$("$DOCKER" run -d --name "$NAME" --restart always \
  -v "$SOCKET":/var/run/docker.sock \
  -v "$DIR":/etc/dom0:ro \
  -v "$STATE_VOLUME":/var/lib/dom0 \
  "$IMAGE")" || { log "docker run failed; dom0 not started"; exit 1; }
log "$NAME started ($(echo "$id" | cut -c1-12))"
