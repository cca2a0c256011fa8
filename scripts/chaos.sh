#!/usr/bin/env bash
# scripts/chaos.sh — the long chaos run: test/integration/reliability-chaos.test.ts with more rounds.
#
#   bash scripts/chaos.sh                      20 rounds (every 3rd also restarts the engine)
#   DOM0_CHAOS_ROUNDS=50 bash scripts/chaos.sh
#   DOM0_CHAOS_SEED=1234 bash scripts/chaos.sh replay a run (the seed is printed in the summary)
#
# Environment (all optional):
#   DOM0_CHAOS_ROUNDS          rounds (default here 20; `npm test` runs 5)
#   DOM0_CHAOS_RESTART_EVERY   restart the engine mid-apply every Nth round (default 3; 0 = never)
#   DOM0_CHAOS_SEED            seed of the random kill moments
#   DOM0_CHAOS_ENGINE_DIR      the suite's private engine (default /tmp/dom0-chaos-engine)
#
# Needs root and Debian's docker.io (like scripts/engine.sh). The suite starts its own private
# engine and stops it when done. The shared test engine (/tmp/dom0-engine) is only pinged, to decide
# whether integration tests can run at all; vitest's global setup starts it if needed (and stops it
# again if it started it), as for `npm test`.
# Builds first unless DOM0_CHAOS_NO_BUILD=1. Exits with vitest's exit code.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

export DOM0_CHAOS_ROUNDS="${DOM0_CHAOS_ROUNDS:-20}"
[[ "$DOM0_CHAOS_ROUNDS" =~ ^[0-9]+$ ]] || { echo "chaos.sh: DOM0_CHAOS_ROUNDS must be a whole number, not '$DOM0_CHAOS_ROUNDS'" >&2; exit 2; }

if [[ "${DOM0_CHAOS_NO_BUILD:-0}" != 1 ]]; then npm run build; fi

echo "[chaos] ${DOM0_CHAOS_ROUNDS} rounds, engine restart every ${DOM0_CHAOS_RESTART_EVERY:-3}${DOM0_CHAOS_SEED:+, seed $DOM0_CHAOS_SEED}" >&2
exec npx vitest run test/integration/reliability-chaos.test.ts --reporter=verbose
