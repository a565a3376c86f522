#!/usr/bin/env bash
# Shared helpers of the azd hooks (sourced, not run). azd runs the hooks from the repository root
# with the azd environment's values (the Bicep outputs among them) in the process environment.

set -euo pipefail

log() { printf '[%s] %s\n' "${HOOK_NAME:-hook}" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# require_commands az jq ... : fail early, naming what is missing.
require_commands() {
  local missing=()
  for command in "$@"; do
    command -v "$command" >/dev/null 2>&1 || missing+=("$command")
  done
  [[ ${#missing[@]} -eq 0 ]] || die "missing commands: ${missing[*]} (see docs/deploy.md, 'Prerequisites')"
}

# require_env NAME ... : the azd environment must provide these (Bicep outputs or azd env set).
require_env() {
  local missing=()
  for name in "$@"; do
    [[ -n "${!name:-}" ]] || missing+=("$name")
  done
  [[ ${#missing[@]} -eq 0 ]] || die "missing azd environment values: ${missing[*]} (run 'azd provision' first, or 'azd env set NAME VALUE')"
}

# The repository root, whatever the working directory.
repo_root() { cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd; }

# Cleanup actions, run in reverse order when the hook exits (however it exits).
CLEANUP_ACTIONS=()
run_cleanup() {
  local i
  for ((i = ${#CLEANUP_ACTIONS[@]} - 1; i >= 0; i--)); do
    eval "${CLEANUP_ACTIONS[$i]}" || log "cleanup failed: ${CLEANUP_ACTIONS[$i]}"
  done
}
trap run_cleanup EXIT
on_exit() { CLEANUP_ACTIONS+=("$1"); }

# make_private_tmp: sets PRIVATE_TMP to a directory only this user can read, removed on exit.
make_private_tmp() {
  PRIVATE_TMP="$(umask 077 && mktemp -d)"
  on_exit "rm -rf '$PRIVATE_TMP'"
}

# record_env NAME VALUE: keeps a value for the next provision in the azd environment; run without azd (the Azure
# CLI path of docs/deploy.md), says what to pass instead.
record_env() {
  if command -v azd >/dev/null 2>&1; then
    azd env set "$1" "$2"
  else
    log "no azd here: pass $1=$2 (or its main.bicep parameter) to the next deployment"
  fi
}

# Seconds between two looks at a change Azure applies in the background (RECORDER_HOOK_POLL_SECONDS, default 10).
poll_pause() { sleep "${RECORDER_HOOK_POLL_SECONDS:-10}"; }

# The API version of the hooks' own requests to the Functions container app: the one
# infra/bicep/modules/container-apps.bicep deploys it with.
readonly CONTAINER_APPS_API_VERSION=2025-07-01

# The Functions container app (AZURE_RESOURCE_GROUP, SERVICE_FUNCTIONS_NAME) as ARM returns it, in JSON.
functions_app_json() {
  az containerapp show --resource-group "$AZURE_RESOURCE_GROUP" --name "$SERVICE_FUNCTIONS_NAME" --only-show-errors --output json
}

# patch_functions_app APP_ID BODY_FILE: an ARM PATCH of the container app, which is a JSON merge patch: whatever the
# body leaves out stays as it is (the scale rules the platform derived from the triggers among it), and an array the
# body names is replaced whole. Returns once Container Apps has accepted the change, not when it is applied.
patch_functions_app() {
  az rest --method patch --url "$1?api-version=$CONTAINER_APPS_API_VERSION" --headers Content-Type=application/json \
    --body "@$2" --only-show-errors --output none
}

# The containers of an app's template, as a PATCH may send them back: without what only the server sets.
readonly JQ_CONTAINERS_TO_SEND='.properties.template.containers | map(del(.resources.ephemeralStorage))'
