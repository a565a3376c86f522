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
if (($# > 0)); then
  dotnet test Recorder.Functions.sln --no-build -c Debug --logger "console;verbosity=normal" "$@" || status=$?
else
  # The browser tests record in real time on the page's clock, so they run after the other projects rather than
  # beside three of them on two CPUs; both runs go whatever the first one's outcome.
  dotnet test Recorder.Functions.sln --no-build -c Debug --logger "console;verbosity=normal" \
    --filter "FullyQualifiedName!~Recorder.E2E.Tests" || status=$?
  dotnet test tests/Recorder.E2E.Tests --no-build -c Debug --logger "console;verbosity=normal" || status=$?
fi
log "dotnet test exited with status $status"
exit "$status"
