#!/usr/bin/env bash
# Runs the benchmarks of bench/ against PostgreSQL + Azurite of the "bench" profile (ports 55435 and 30000-30002,
# never the test profile's, which other runs share: installs and starts what is missing, reuses what runs, stops
# only what it started). Each benchmark writes bench/results/<name>.md: the machine, the command, raw figures,
# ratios against a baseline or floor measured in the same run. Not part of scripts/test.sh. The soak, the sweeps
# and live-upload (gigabytes of blocks for an hour of recording) run their own PostgreSQL and Azurite
# (tests/Recorder.Testing PrivateServices), so they need the packages but not the profile's services.
#
#   scripts/bench.sh                      # all of them, at the issue's scale (about an hour on 2 cores)
#   scripts/bench.sh uploads ingest       # some: uploads sas ingest database mixed sweeps burst soak live-upload
#
# Scale and length (environment): BENCH_SECONDS (30), BENCH_CONCURRENCY (32), BENCH_REPETITIONS (3),
# BENCH_USERS (100000), BENCH_RECORDINGS (10000000), BENCH_RETENTION_SECONDS (120), BENCH_SWEEP_RECORDINGS (1000),
# BENCH_BURST_EVENTS (10000), BENCH_SOAK_USERS (4), BENCH_SOAK_MINUTES (2),
# BENCH_LIVE_MINUTES (1,10,60: the live-upload benchmark's lengths), and for mixed (issue 20's mixed load, on the
# database benchmark's data: BENCH_USERS and BENCH_RECORDINGS) BENCH_MIXED_SOLO_SECONDS (45, each workload alone),
# BENCH_MIXED_SECONDS (180, all at once), BENCH_MIXED_CONCURRENCY (64, upload-URL clients, and list clients unless
# BENCH_MIXED_LIST_CONCURRENCY says otherwise), BENCH_MIXED_UPLOAD_RATE and BENCH_MIXED_LIST_RATE (100 and 200 requests a
# second, an open loop; 0: a closed loop, each client as fast as it is answered, which saturates the CPUs by itself),
# BENCH_MIXED_TIMERS_REPEATED=1 (mixed, the sweeper and the alert check as often as alone, not at their shipped schedules). BENCH_UPLOADS_WARMUP_SECONDS (60: until the host's tiered JIT has
# finished, bench/results/upload-urls.md), BENCH_UPLOADS_POOL_SIZES (e.g. 8,16: more upload runs, each with Npgsql's
# Maximum Pool Size at that size); BENCH_TRACE=1 adds to uploads a run with dotnet-trace attached to the host,
# and to mixed a phase of each HTTP workload alone with it attached (the tool manifest's version, restored here), and
# their profiles to the results.
# The database and mixed benchmarks need about 10 GB free at the default scale; their databases are dropped afterwards.
# If RECORDER_TEST_PG_ADMIN and RECORDER_TEST_STORAGE are already set, those services are used as they are.
# BENCH_DURABLE=1: the profile's PostgreSQL flushes every commit (fsync, synchronous_commit and full_page_writes on, as
# Azure's server runs) instead of the disposable profiles' settings; each result file names the settings it ran with.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
REPO="$(pwd -P)"
external_services=0
if [[ -n "${RECORDER_TEST_PG_ADMIN:-}" && -n "${RECORDER_TEST_STORAGE:-}" ]]; then
  external_services=1
  external_pg_admin="$RECORDER_TEST_PG_ADMIN"
  external_storage="$RECORDER_TEST_STORAGE"
fi
# shellcheck source=SCRIPTDIR/lib/services.sh
if [[ "${BENCH_DURABLE:-0}" == 1 ]]; then export RECORDER_PG_DURABLE=1; fi
source scripts/lib/services.sh bench
if ((external_services)); then
  # services.sh sets the profile's own; the services named by the caller are the ones to use.
  export RECORDER_TEST_PG_ADMIN="$external_pg_admin" RECORDER_TEST_STORAGE="$external_storage"
fi

trap stop_services EXIT
trap 'on_signal INT' INT
trap 'on_signal TERM' TERM

benchmarks=("$@")
if ((${#benchmarks[@]} == 0)); then
  benchmarks=(sas uploads ingest burst soak sweeps database mixed)
fi
shared_services=0
trace=()
if [[ "${BENCH_TRACE:-0}" == 1 ]]; then
  dotnet tool restore >/dev/null || die "dotnet tool restore (dotnet-trace, .config/dotnet-tools.json) failed"
  trace=(--trace)
fi

for name in "${benchmarks[@]}"; do
  case "$name" in
    sas | uploads | ingest | database | mixed | burst) shared_services=1 ;;
    soak | sweeps | live-upload) ;;
    *) die "unknown benchmark '$name' (sas, uploads, ingest, database, mixed, sweeps, burst, soak, live-upload)" ;;
  esac
done

if ((external_services)); then
  # Nothing to install or start: only the media tools the benchmarks run themselves.
  command -v ffprobe >/dev/null 2>&1 && command -v ffmpeg >/dev/null 2>&1 || die "ffmpeg/ffprobe not found (Debian package ffmpeg)"
else
  ensure_packages
fi
if [[ ! -x /usr/bin/time ]]; then
  is_root || die "/usr/bin/time is missing (Debian package 'time'); the ingest benchmark measures the toolchain's memory with it"
  apt-get install -y --no-install-recommends time
fi
if ((external_services)); then
  log "using the running services named by RECORDER_TEST_PG_ADMIN and RECORDER_TEST_STORAGE"
elif ((shared_services)); then
  start_postgres
  start_azurite
  print_services
fi

log "building bench/ (Release)"
dotnet build bench/Recorder.Bench/Recorder.Bench.csproj -c Release -nologo -v minimal >/dev/null || die "dotnet build bench/Recorder.Bench failed"
dotnet build bench/Recorder.Bench.Micro/Recorder.Bench.Micro.csproj -c Release -nologo -v minimal >/dev/null || die "dotnet build bench/Recorder.Bench.Micro failed"
bench_dll="$REPO/bench/Recorder.Bench/bin/Release/net10.0/Recorder.Bench.dll"
micro_dll="$REPO/bench/Recorder.Bench.Micro/bin/Release/net10.0/Recorder.Bench.Micro.dll"

# The exact command goes into each results file.
run_bench() {
  local name="$1"
  shift
  log "benchmark $name: $*"
  RECORDER_BENCH_REPOSITORY="$REPO" RECORDER_BENCH_COMMAND="scripts/bench.sh $name   # runs: $*" run_child "$@" \
    || die "benchmark $name failed"
}

for name in "${benchmarks[@]}"; do
  case "$name" in
    sas)
      run_bench sas dotnet "$micro_dll" --artifacts "$REPO/bench/BenchmarkDotNet.Artifacts" ;;
    uploads)
      run_bench uploads dotnet "$bench_dll" uploads --seconds "${BENCH_SECONDS:-30}" \
        --warmup-seconds "${BENCH_UPLOADS_WARMUP_SECONDS:-60}" --concurrency "${BENCH_CONCURRENCY:-32}" \
        ${BENCH_UPLOADS_POOL_SIZES:+--pool-sizes "$BENCH_UPLOADS_POOL_SIZES"} "${trace[@]}" ;;
    ingest)
      run_bench ingest dotnet "$bench_dll" ingest --repetitions "${BENCH_REPETITIONS:-3}" ;;
    database)
      run_bench database dotnet "$bench_dll" database --users "${BENCH_USERS:-100000}" \
        --recordings "${BENCH_RECORDINGS:-10000000}" --retention-seconds "${BENCH_RETENTION_SECONDS:-120}" ;;
    mixed)
      run_bench mixed dotnet "$bench_dll" mixed --users "${BENCH_USERS:-100000}" --recordings "${BENCH_RECORDINGS:-10000000}" \
        --solo-seconds "${BENCH_MIXED_SOLO_SECONDS:-45}" --mixed-seconds "${BENCH_MIXED_SECONDS:-180}" \
        --concurrency "${BENCH_MIXED_CONCURRENCY:-64}" \
        --list-concurrency "${BENCH_MIXED_LIST_CONCURRENCY:-${BENCH_MIXED_CONCURRENCY:-64}}" \
        --upload-rate "${BENCH_MIXED_UPLOAD_RATE:-100}" --list-rate "${BENCH_MIXED_LIST_RATE:-200}" \
        ${BENCH_MIXED_TIMERS_REPEATED:+--timers-repeated} "${trace[@]}" ;;
    sweeps)
      run_bench sweeps dotnet "$bench_dll" sweeps --recordings "${BENCH_SWEEP_RECORDINGS:-1000}" ;;
    burst)
      run_bench burst dotnet "$bench_dll" burst --events "${BENCH_BURST_EVENTS:-10000}" --concurrency "${BENCH_CONCURRENCY:-32}" ;;
    live-upload)
      run_bench live-upload dotnet "$bench_dll" live-upload --lengths "${BENCH_LIVE_MINUTES:-1,10,60}" \
        --repetitions "${BENCH_REPETITIONS:-3}" ;;
    soak)
      run_bench soak dotnet "$bench_dll" soak --users "${BENCH_SOAK_USERS:-4}" --minutes "${BENCH_SOAK_MINUTES:-2}" ;;
  esac
done
log "results: bench/results/"
