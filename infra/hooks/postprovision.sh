#!/usr/bin/env bash
# azd postprovision hook: what Bicep cannot do. Runs after Bicep, before the app is deployed.
#  1. The database deployment step (skipped with RECORDER_SKIP_MIGRATIONS=true, e.g. when a pipeline runs it):
#     a. opens the PostgreSQL firewall to this machine while it runs (public access only);
#     b. publishes and runs `recorder migrate` (functions/Recorder.Cli, migrations/ beside it) as the PostgreSQL
#        Microsoft Entra administrator, with an Entra access token as the password. The migrator creates
#        recorder_app and recorder_maintenance (neither with BYPASSRLS: docs/architecture.md, "PostgreSQL");
#     c. maps the app's managed identity to those roles (infra/hooks/sql/map-app-identity.sql);
#     d. after a restore (RECORDER_RESTORED_AT = the restore point), runs `recorder replay-erasures --since` it as
#        recorder_maintenance, so no user erased since comes back (docs/operations.md, "A real restore").
#     The token lives in this process's environment only; it is never printed or written to disk.
#  2. When this provision left out the app's Key Vault references (RECORDER_APP_SECRETS_FROM_KEY_VAULT=false, set by
#     preprovision while the identity's Key Vault grant is new), attaches them, retrying until the grant has reached
#     Key Vault (minutes), and records that they are there.
#  3. When the app runs our image, checks its queue scale rules (verify-scale-rules.sh): a provision updates the app.
HOOK_NAME=postprovision
# shellcheck source=infra/hooks/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$(repo_root)"

migrate_database() {
  require_commands az dotnet psql curl
  require_env AZURE_RESOURCE_GROUP POSTGRES_SERVER_NAME POSTGRES_HOST POSTGRES_DATABASE_NAME \
    POSTGRES_ADMIN_PRINCIPAL_NAME APP_IDENTITY_NAME APP_IDENTITY_PRINCIPAL_ID

  # a. Firewall: a temporary rule for this machine's public address.
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

  # b. Migrations, as the Entra administrator.
  PGPASSWORD="$(az account get-access-token --resource-type oss-rdbms --query accessToken -o tsv)"
  export PGPASSWORD

  local cli_dir=functions/Recorder.Cli/bin/publish
  log "publishing the recorder CLI"
  dotnet publish functions/Recorder.Cli -c Release -o "$cli_dir" --nologo >/dev/null

  log "recorder migrate on $POSTGRES_HOST/$POSTGRES_DATABASE_NAME as $POSTGRES_ADMIN_PRINCIPAL_NAME"
  Database__MigratorConnectionString="Host=$POSTGRES_HOST;Port=5432;Database=$POSTGRES_DATABASE_NAME;Username=$POSTGRES_ADMIN_PRINCIPAL_NAME;Password=$PGPASSWORD;Ssl Mode=VerifyFull" \
    "$cli_dir/recorder" migrate --migrations "$cli_dir/migrations"

  # c. The app identity's login role and its memberships.
  log "mapping $APP_IDENTITY_NAME to recorder_app and recorder_maintenance"
  PGSSLMODE=require psql --no-psqlrc --quiet \
    --host "$POSTGRES_HOST" --port 5432 --dbname postgres --username "$POSTGRES_ADMIN_PRINCIPAL_NAME" \
    --set identity_name="$APP_IDENTITY_NAME" --set identity_object_id="$APP_IDENTITY_PRINCIPAL_ID" \
    --file infra/hooks/sql/map-app-identity.sql

  # d. The erasures made since the restore point, again, before the app serves this database.
  if [[ -n "${RECORDER_RESTORED_AT:-}" ]]; then
    require_env RECORDINGS_STORAGE_ACCOUNT_NAME
    log "replaying the erasure ledger since $RECORDER_RESTORED_AT on $POSTGRES_HOST/$POSTGRES_DATABASE_NAME"
    local maintenance="Host=$POSTGRES_HOST;Port=5432;Database=$POSTGRES_DATABASE_NAME;Username=$POSTGRES_ADMIN_PRINCIPAL_NAME"
    maintenance+=";Password=$PGPASSWORD;Ssl Mode=VerifyFull;Options=-c role=recorder_maintenance"
    Database__AppConnectionString="$maintenance" Database__MaintenanceConnectionString="$maintenance" \
      RecordingsStorage__blobServiceUri="https://$RECORDINGS_STORAGE_ACCOUNT_NAME.blob.core.windows.net/" \
      RecordingsStorage__queueServiceUri="https://$RECORDINGS_STORAGE_ACCOUNT_NAME.queue.core.windows.net/" \
      Storage__ErasureLedgerContainer="${ERASURE_LEDGER_CONTAINER:-erasure-ledger}" \
      "$cli_dir/recorder" replay-erasures --since "$RECORDER_RESTORED_AT"
  fi

  log "database ready"
}

# Adds the Key Vault references (secrets resolved with the app's identity) and the settings they back, in one PATCH;
# Container Apps resolves them as it applies it, and fails while the new grant has not reached Key Vault: try again.
attach_key_vault_references() {
  require_commands az jq
  require_env AZURE_RESOURCE_GROUP SERVICE_FUNCTIONS_NAME APP_IDENTITY_ID APP_KEY_VAULT_REFERENCES APP_KEY_VAULT_SETTINGS
  make_private_tmp
  local app attempts="${RECORDER_KEY_VAULT_ATTACH_ATTEMPTS:-20}" attempt poll state
  app="$(functions_app_json)"
  jq --arg identity "$APP_IDENTITY_ID" --argjson references "$APP_KEY_VAULT_REFERENCES" \
    --argjson settings "$APP_KEY_VAULT_SETTINGS" "
    {properties: {
      configuration: {secrets: (\$references | map(. + {identity: \$identity}))},
      template: {containers: ($JQ_CONTAINERS_TO_SEND
        | .[0].env = ([(.[0].env // [])[] | select(.name as \$name | \$settings | map(.name) | index(\$name) | not)] + \$settings))}}}" \
    <<<"$app" >"$PRIVATE_TMP/key-vault-references.json"

  for attempt in $(seq 1 "$attempts"); do
    log "attaching the Key Vault references to $SERVICE_FUNCTIONS_NAME (attempt $attempt of $attempts)"
    patch_functions_app "$(jq -r .id <<<"$app")" "$PRIVATE_TMP/key-vault-references.json"
    for poll in $(seq 1 60); do
      state="$(functions_app_json | jq -r --argjson references "$APP_KEY_VAULT_REFERENCES" '.properties
        | [(.configuration.secrets // [])[].name] as $secrets
        | if .provisioningState == "Failed" then "failed"
          elif .provisioningState == "Succeeded" and ($references | map(.name) - $secrets | length) == 0 then "attached"
          else "updating" end')"
      [[ "$state" == updating && $poll -lt 60 ]] || break
      poll_pause
    done
    if [[ "$state" == attached ]]; then
      record_env RECORDER_APP_SECRETS_FROM_KEY_VAULT true
      log "the app reads its secrets from Key Vault"
      return 0
    fi
    log "Container Apps could not resolve them yet (a new Key Vault grant takes minutes to apply)"
    poll_pause
    poll_pause
    poll_pause
  done
  die "the app's Key Vault references could not be attached: check that $APP_IDENTITY_ID has Key Vault Secrets User" \
    "on the vault, then run 'azd provision' again"
}

if [[ "${RECORDER_SKIP_MIGRATIONS:-false}" == "true" ]]; then
  log "RECORDER_SKIP_MIGRATIONS=true: not migrating"
else
  # In a subshell of its own, so the firewall closes as soon as the database step ends, however it ends.
  (
    trap run_cleanup EXIT
    migrate_database
  )
fi

if [[ "${RECORDER_APP_SECRETS_FROM_KEY_VAULT:-true}" == "false" ]]; then
  attach_key_vault_references
fi

if [[ -n "${SERVICE_FUNCTIONS_IMAGE_NAME:-}" ]]; then
  infra/hooks/verify-scale-rules.sh
fi
