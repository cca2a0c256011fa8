#!/usr/bin/env bash
# npm run demo: see dom0 work on a machine with no Docker engine running and no registry reachable.
# Starts the same private engine the tests use, builds the small local image, applies the example
# fleet (dom0.yaml), prints `dom0 status` and the plan of a second apply (all keep).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
[[ "$(id -u)" == 0 ]] || { echo "demo: run as root (it starts a private dockerd)" >&2; exit 2; }

bash scripts/engine.sh start
eval "$(bash scripts/engine.sh env)"
export DOCKER_HOST
dom0() { node dist/cli/main.js "$@"; }

echo
echo "==> dom0 apply -f dom0.yaml"
dom0 apply -f dom0.yaml --log-level warn
echo
echo "==> dom0 status"
dom0 status -f dom0.yaml
echo
echo "==> what the example serves: curl http://127.0.0.1:8080/"
curl -s --max-time 3 http://127.0.0.1:8080/ || echo "(curl failed)"
echo
echo "==> dom0 plan (a second apply would change nothing)"
dom0 plan -f dom0.yaml
cat <<EOT

The fleet runs on a private engine: export DOCKER_HOST=$DOCKER_HOST to look at it with docker.
To stop it:
  DOCKER_HOST=$DOCKER_HOST node dist/cli/main.js down -f dom0.yaml --volumes
  bash scripts/engine.sh stop
EOT
