#!/usr/bin/env bash
# Runs Recorder Functions locally: PostgreSQL + Azurite (profile "run"), migrations,
# storage containers, then the dev host on http://127.0.0.1:7071 in the foreground.
# Ctrl-C stops the dev host and whatever services this script started.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=SCRIPTDIR/lib/services.sh
source scripts/lib/services.sh run

trap stop_services EXIT
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM

ensure_packages

if [[ ! -f local.settings.json ]]; then
  log "creating local.settings.json from local.settings.sample.json"
  cp local.settings.sample.json local.settings.json
fi

start_postgres
start_azurite
prepare_app --with-setup   # build, migrate, create storage containers + CORS

print_services
log "dev host:   http://127.0.0.1:7071  (Ctrl-C to stop)"

status=0
run_child dotnet functions/Recorder.DevHost/bin/Debug/net10.0/Recorder.DevHost.dll \
  --urls http://127.0.0.1:7071 || status=$?
log "dev host exited with status $status"
exit "$status"
