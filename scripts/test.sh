#!/usr/bin/env bash
# Runs the test suite against PostgreSQL + Azurite of the "test" profile (their own
# ports and data, so it can run beside scripts/run.sh). Extra arguments go to
# `dotnet test`, e.g.  scripts/test.sh --filter "FullyQualifiedName~Uploads"
# Exits with dotnet test's exit code; stops whatever services it started.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=SCRIPTDIR/lib/services.sh
source scripts/lib/services.sh test

trap stop_services EXIT
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM

ensure_packages
start_postgres
start_azurite
print_services
prepare_app --build-only   # the tests create and migrate their own databases

status=0
dotnet test Recorder.Functions.sln --no-build -c Debug --logger "console;verbosity=normal" "$@" || status=$?
log "dotnet test exited with status $status"
exit "$status"
