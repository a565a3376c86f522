#!/usr/bin/env bash
# azd postprovision hook: the database deployment step. Runs after Bicep, before the app is deployed.
#  1. Opens the PostgreSQL firewall to this machine for the duration of the hook (public access only).
#  2. Publishes and runs `recorder migrate` (functions/Recorder.Cli, migrations/ beside it) as the
#     PostgreSQL Microsoft Entra administrator, with an Entra access token as the password.
#     Migration 006 creates recorder_app and recorder_maintenance (BYPASSRLS: PostgreSQL 16+ on Azure).
#  3. Maps the app's managed identity to those roles (infra/hooks/sql/map-app-identity.sql).
# The token lives in this process's environment only; it is never printed or written to disk.
# Set RECORDER_SKIP_MIGRATIONS=true to skip (e.g. when a pipeline runs migrations separately).
HOOK_NAME=postprovision
# shellcheck source=infra/hooks/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$(repo_root)"

if [[ "${RECORDER_SKIP_MIGRATIONS:-false}" == "true" ]]; then
  log "RECORDER_SKIP_MIGRATIONS=true: not migrating"
  exit 0
fi

require_commands az dotnet psql curl
require_env AZURE_RESOURCE_GROUP POSTGRES_SERVER_NAME POSTGRES_HOST POSTGRES_DATABASE_NAME \
  POSTGRES_ADMIN_PRINCIPAL_NAME APP_IDENTITY_NAME APP_IDENTITY_PRINCIPAL_ID

# 1. Firewall: a temporary rule for this machine's public address.
if [[ "${POSTGRES_PUBLIC_ACCESS:-true}" == "true" ]]; then
  client_ip="${RECORDER_CLIENT_IP:-$(curl -fsS https://api.ipify.org)}"
  rule_name="azd-migrate-$(date +%Y%m%d%H%M%S)"
  log "allowing $client_ip through the PostgreSQL firewall ($rule_name) while migrating"
  az postgres flexible-server firewall-rule create --only-show-errors --output none \
    --resource-group "$AZURE_RESOURCE_GROUP" --name "$POSTGRES_SERVER_NAME" \
    --rule-name "$rule_name" --start-ip-address "$client_ip" --end-ip-address "$client_ip"
  on_exit "az postgres flexible-server firewall-rule delete --only-show-errors --yes --resource-group '$AZURE_RESOURCE_GROUP' --name '$POSTGRES_SERVER_NAME' --rule-name '$rule_name'"
else
  log "PostgreSQL has private access only: this machine must reach $POSTGRES_HOST through the virtual network"
fi

# 2. Migrations, as the Entra administrator.
PGPASSWORD="$(az account get-access-token --resource-type oss-rdbms --query accessToken -o tsv)"
export PGPASSWORD

readonly CLI_DIR=functions/Recorder.Cli/bin/publish
log "publishing the recorder CLI"
dotnet publish functions/Recorder.Cli -c Release -o "$CLI_DIR" --nologo >/dev/null

log "recorder migrate on $POSTGRES_HOST/$POSTGRES_DATABASE_NAME as $POSTGRES_ADMIN_PRINCIPAL_NAME"
Database__MigratorConnectionString="Host=$POSTGRES_HOST;Port=5432;Database=$POSTGRES_DATABASE_NAME;Username=$POSTGRES_ADMIN_PRINCIPAL_NAME;Password=$PGPASSWORD;Ssl Mode=VerifyFull" \
  "$CLI_DIR/recorder" migrate --migrations "$CLI_DIR/migrations"

# 3. The app identity's login role and its memberships.
log "mapping $APP_IDENTITY_NAME to recorder_app and recorder_maintenance"
PGSSLMODE=require psql --no-psqlrc --quiet \
  --host "$POSTGRES_HOST" --port 5432 --dbname postgres --username "$POSTGRES_ADMIN_PRINCIPAL_NAME" \
  --set identity_name="$APP_IDENTITY_NAME" --set identity_object_id="$APP_IDENTITY_PRINCIPAL_ID" \
  --file infra/hooks/sql/map-app-identity.sql

log "database ready"
