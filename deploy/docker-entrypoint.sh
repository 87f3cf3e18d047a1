#!/usr/bin/env bash
# The image's entrypoint. Reads API keys from files (Docker and Kubernetes secrets), then
# replaces itself with the command, so the gateway is the process the stop signal reaches.
#
#   docker-entrypoint.sh realtime-gateway ARGS…   the gateway (also when the first argument is an option)
#   docker-entrypoint.sh realtime-engine ARGS…    the reference engine
#   docker-entrypoint.sh COMMAND ARGS…            anything else, as is (a shell, for a look inside)
#
# <NAME>_API_KEY_FILE=/run/secrets/… sets <NAME>_API_KEY (as an upstream's apiKeyEnv names it)
# to the file's contents, trailing newlines dropped; setting both is an error.
set -euo pipefail

app="${REALTIME_APP_DIR:-/app}"

for name in $(compgen -e); do
  case "$name" in
    *_API_KEY_FILE) ;;
    *) continue ;;
  esac
  target="${name%_FILE}"
  if [ -n "${!target:-}" ]; then
    echo "docker-entrypoint: both $target and $name are set; set only one" >&2
    exit 2
  fi
  file="${!name}"
  if [ ! -r "$file" ]; then
    echo "docker-entrypoint: $name names $file, which cannot be read" >&2
    exit 2
  fi
  export "$target=$(cat -- "$file")"
  unset "$name"
done

case "${1:-}" in
  realtime-gateway)
    shift
    exec node "$app/packages/gateway/dist/cli.js" "$@"
    ;;
  realtime-engine)
    shift
    exec node "$app/packages/engine/dist/cli.js" "$@"
    ;;
  '' | -*)
    exec node "$app/packages/gateway/dist/cli.js" "$@"
    ;;
  *)
    exec "$@"
    ;;
esac
