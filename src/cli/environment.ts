// Every environment variable dom0 reads, for `dom0 --help` and the docs. A test scans src/ for
// the names it reads and fails when one is missing here.

export const ENVIRONMENT: ReadonlyArray<readonly [name: string, meaning: string]> = [
  ['DOCKER_HOST', 'the engine: unix:///path, tcp://host:port, ssh://[user@]host (default: the docker context, else unix:///var/run/docker.sock)'],
  ['DOCKER_TLS_VERIFY', 'with a tcp DOCKER_HOST: TLS, verifying the engine against DOCKER_CERT_PATH/ca.pem'],
  ['DOCKER_TLS', 'with a tcp DOCKER_HOST: TLS without verifying the engine'],
  ['DOCKER_CERT_PATH', 'directory of ca.pem, cert.pem, key.pem for TLS (default ~/.docker)'],
  ['DOCKER_CONTEXT', 'the docker context to use when DOCKER_HOST is not set (default: currentContext of config.json)'],
  ['DOCKER_CONFIG', 'directory of the docker CLI config.json: registry logins, credential helpers, contexts (default ~/.docker)'],
  ['SSH_AUTH_SOCK', 'the ssh agent, for an ssh:// engine'],
  ['HOME', 'where ~/.docker is'],
  ['DOM0_MANIFEST', "the manifest when -f is not given: one path, or several merged as COMPOSE_FILE's, separated by ':' (default ./dom0.yaml, else /etc/dom0/dom0.yaml)"],
  ['DOM0_PATH_SEPARATOR', "the separator of DOM0_MANIFEST's list (default ':', the OS path separator)"],
  ['DOM0_PROFILES', 'active profiles, comma-separated, when --profile is not given (default: COMPOSE_PROFILES)'],
  ['COMPOSE_PROFILES', 'active profiles when neither --profile nor DOM0_PROFILES is given; may be set in .env'],
  ['DOM0_FLEET', "the fleet name when --fleet is not given (default: the manifest's name:, else its directory's name)"],
  ['DOM0_STATE_DIR', '`up` and `health`: last-good manifest, heartbeat, pull times (default /var/lib/dom0)'],
  ['DOM0_ROLLBACK_AFTER', "`up`: readiness window after a changed manifest applies, as --rollback-after (default 2m; off or 0 disables rollback)"],
  ['DOM0_HOSTNAME', 'node.hostname for deploy.placement.constraints (default: the engine\'s Name in docker info, the host\'s hostname)'],
  ['DOM0_HOST_LABELS', 'the host labels file (KEY=VALUE lines, node.labels over the engine\'s labels) when --host-labels is not given (default /etc/dom0/host-labels, if present)'],
  ['DOM0_SOURCE', '`up`: farm mode, the manifest source (http(s) URL or directory) when --source is not given (docs/farm.md)'],
  ['DOM0_SOURCE_INTERVAL', '`up`: how often to poll the source, as --source-interval (default 30s, ±20% at random)'],
  ['DOM0_SOURCE_PUBKEY', "`up`: the ed25519 public key file the source's index must be signed with, as --source-pubkey"],
  ['DOM0_SOURCE_SHA256', "`up`: the sha256 the source's index (or manifest) must have, as --source-sha256"],
  ['DOM0_LOG_LEVEL', 'log level when --log-level is not given: trace, debug, info, warn, error, fatal, silent (default info)'],
  ['DOM0_LOG_FORMAT', 'json (NDJSON) or pretty (one readable line per event); default: pretty on a terminal, else json'],
  ['DOM0_PULL_CONCURRENCY', 'distinct images pulled at once (default 4)'],
  ['DOM0_PULL_ATTEMPTS', 'attempts per image for transient pull failures (default 4)'],
  ['DOM0_PULL_BACKOFF', 'delay before the first pull retry, doubling (default 1s)'],
  ['DOM0_PULL_BACKOFF_MAX', 'cap of one pull retry delay (default 30s)'],
  ['DOM0_PULL_STALL_TIMEOUT', 'abort and retry a pull without progress for this long (default 60s; 0 = never)'],
  ['DOM0_PULL_PROGRESS_INTERVAL', 'at most one pull progress line per image this often (default 5s)'],
  ['DOM0_PULL_BACKGROUND_BACKOFF', '`up`: first delay of background re-pulls after a failed pull (default 5s)'],
  ['DOM0_PULL_BACKGROUND_BACKOFF_MAX', '`up`: cap of that delay (default 5m)'],
  ['DOM0_ENGINE_STATS', '1: print the Engine API calls made, as one NDJSON line on stderr (for the benchmark)'],
  ['DOM0_DIAG_FILE', "`up`: on SIGUSR2, append one JSON line of live handles, memory and listener counts to this file (the leak probe of the soak benchmark)"],
];

export function environmentHelp(): string {
  const width = Math.max(...ENVIRONMENT.map(([n]) => n.length));
  return `\nEnvironment:\n${ENVIRONMENT.map(([n, m]) => `  ${n.padEnd(width)}  ${m}`).join('\n')}\n`;
}
