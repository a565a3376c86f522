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
