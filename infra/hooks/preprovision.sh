#!/usr/bin/env bash
# azd preprovision hook: checks and completes the azd environment before Bicep runs. Secret values are read from the
# environment and never printed.
#  - The values main.parameters.json requires (alert e-mail, JWT issuer) and, on the first provision, the two app
#    secrets Key Vault must hold before the app can start.
#  - One principal: azd deploys as its own signed-in principal (it substitutes that principal for AZURE_PRINCIPAL_ID,
#    whatever the environment holds), which becomes the PostgreSQL Entra administrator's object id and gets the Key Vault
#    and storage roles; the migrations run as the principal az is signed in as, under the name written here
#    (AZURE_PRINCIPAL_NAME). Both must be the same principal: the hook stops if they are not.
#  - What an existing deployment fixes: the PostgreSQL storage size (it auto-grows and cannot shrink, so the current
#    size is carried forward: RECORDER_POSTGRES_STORAGE_GB) and its geo-redundant backup choice (made at creation:
#    RECORDER_POSTGRES_GEO_BACKUP) and its major version (RECORDER_POSTGRES_VERSION); an image that is no longer in the registry is forgotten (SERVICE_FUNCTIONS_IMAGE_NAME).
#  - A soft-deleted Key Vault of this environment (after `azd down`; purge protection keeps it 90 days and its name
#    cannot be reused meanwhile) is recovered, with its secrets.
#  - Whether the app's Key Vault grant predates this provision (RECORDER_APP_SECRETS_FROM_KEY_VAULT): a new grant takes
#    minutes to reach Key Vault, so the app gets its Key Vault references from postprovision then, not from Bicep.
HOOK_NAME=preprovision
# shellcheck source=infra/hooks/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_commands az azd jq
require_env RECORDER_ALERT_EMAIL RECORDER_JWT_ISSUER

# Before the first provision there is no Key Vault to hold the secrets, and the app's Key Vault references must
# resolve once it runs: take them from the environment once.
if [[ -z "${AZURE_KEY_VAULT_NAME:-}" ]]; then
  [[ -n "${RECORDER_SESSION_SECRET:-}" && -n "${RECORDER_JWT_HMAC_SECRET:-}" ]] ||
    die "the first provision needs RECORDER_SESSION_SECRET (the main app's express-session secret) and" \
      "RECORDER_JWT_HMAC_SECRET: azd env set them, provision, then unset them (docs/deploy.md)"
fi

# set_env NAME VALUE: azd env set, when the environment holds something else.
set_env() {
  [[ "${!1:-}" == "$2" ]] || azd env set "$1" "$2"
}

# 1. The principal az is signed in as, and the one azd deploys as (the object id in its access token; the token goes
#    through a pipe only).
if [[ "$(az account show --query user.type -o tsv)" == "user" ]]; then
  principal_name="$(az ad signed-in-user show --query userPrincipalName -o tsv)"
  principal_id="$(az ad signed-in-user show --query id -o tsv)"
  principal_type=User
else
  app_id="$(az account show --query user.name -o tsv)"
  principal_name="$(az ad sp show --id "$app_id" --query displayName -o tsv)"
  principal_id="$(az ad sp show --id "$app_id" --query id -o tsv)"
  principal_type=ServicePrincipal
fi
[[ -n "$principal_id" && -n "$principal_name" ]] || die "could not tell which principal az is signed in as: run 'az login'"
azd_principal_id="$(azd auth token --output json | jq -r '.token | split(".")[1] | gsub("-"; "+") | gsub("_"; "/")
  | . + ("=" * ((4 - length % 4) % 4)) | @base64d | fromjson | .oid // empty')"
[[ -n "$azd_principal_id" ]] || die "could not tell which principal azd is signed in as: run 'azd auth login'"
[[ "${azd_principal_id,,}" == "${principal_id,,}" ]] ||
  die "az is signed in as $principal_name ($principal_id) but azd as $azd_principal_id." \
    "azd makes its principal the PostgreSQL administrator and grants it Key Vault and storage roles, while the migrations" \
    "run as az's: sign both in as the same principal ('az login', 'azd auth login'; docs/deploy.md, Prerequisites)"
log "deploying as $principal_name ($principal_type), also the PostgreSQL Entra administrator"
set_env AZURE_PRINCIPAL_NAME "$principal_name"
set_env AZURE_PRINCIPAL_TYPE "$principal_type"

# 2. An image from an earlier deployment that its registry no longer has (`azd down` removed both) cannot be provisioned.
if [[ -n "${SERVICE_FUNCTIONS_IMAGE_NAME:-}" ]] &&
  ! az acr repository show --name "${SERVICE_FUNCTIONS_IMAGE_NAME%%.*}" --image "${SERVICE_FUNCTIONS_IMAGE_NAME#*/}" \
    --only-show-errors --output none 2>/dev/null; then
  log "$SERVICE_FUNCTIONS_IMAGE_NAME is gone: the app starts from the placeholder image until the deploy step"
  azd env set SERVICE_FUNCTIONS_IMAGE_NAME ""
fi

# 3. The PostgreSQL server, when it exists, keeps its storage size and its backup redundancy.
server_name="${RECORDER_POSTGRES_SERVER_NAME:-${POSTGRES_SERVER_NAME:-}}"
if [[ -n "${AZURE_RESOURCE_GROUP:-}" && -n "$server_name" ]] &&
  server="$(az postgres flexible-server show --resource-group "$AZURE_RESOURCE_GROUP" --name "$server_name" \
    --only-show-errors --output json 2>/dev/null)" && [[ -n "$server" ]]; then
  current_gb="$(jq -r '.storage.storageSizeGb' <<<"$server")"
  if [[ -z "${RECORDER_POSTGRES_STORAGE_GB:-}" || "$RECORDER_POSTGRES_STORAGE_GB" -lt "$current_gb" ]]; then
    log "PostgreSQL $server_name has $current_gb GiB of storage (it grows by itself and cannot shrink): keeping that"
    azd env set RECORDER_POSTGRES_STORAGE_GB "$current_gb"
  fi
  geo_backup="$(jq -r 'if .backup.geoRedundantBackup == "Enabled" then "true" else "false" end' <<<"$server")"
  if [[ "${RECORDER_POSTGRES_GEO_BACKUP:-true}" != "$geo_backup" ]]; then
    log "PostgreSQL $server_name was created with geo-redundant backup $geo_backup, which only a new server can change: keeping it"
    azd env set RECORDER_POSTGRES_GEO_BACKUP "$geo_backup"
  fi
  # A new server gets 17; an existing one keeps its major version unless the operator asks for an upgrade.
  if [[ -z "${RECORDER_POSTGRES_VERSION:-}" ]]; then
    server_version="$(jq -r '.version' <<<"$server")"
    log "PostgreSQL $server_name runs version $server_version: keeping it (set RECORDER_POSTGRES_VERSION to upgrade)"
    azd env set RECORDER_POSTGRES_VERSION "$server_version"
  fi
fi

# 4. A soft-deleted vault of this environment and region blocks a new one of the same name: bring it back.
if [[ -n "${AZURE_ENV_NAME:-}" && -n "${AZURE_LOCATION:-}" ]]; then
  az keyvault list-deleted --resource-type vault --only-show-errors --output json |
    jq -r --arg env "$AZURE_ENV_NAME" --arg location "$AZURE_LOCATION" '.[]
      | select(.properties.tags["azd-env-name"]? == $env
               and ((.properties.location // "") | ascii_downcase | gsub(" "; "")) == ($location | ascii_downcase))
      | "\(.name) \(.properties.vaultId | split("/")[4])"' |
    while read -r vault_name vault_group; do
      if [[ "$(az group exists --name "$vault_group")" != "true" ]]; then
        az group create --name "$vault_group" --location "$AZURE_LOCATION" --tags "azd-env-name=$AZURE_ENV_NAME" \
          --only-show-errors --output none
      fi
      log "recovering the soft-deleted Key Vault $vault_name (with its secrets) into $vault_group"
      az keyvault recover --name "$vault_name" --location "$AZURE_LOCATION" --only-show-errors --output none
    done
fi

# 5. The app's Key Vault grant from an earlier provision has had time to apply; a new one (first provision, or a new
#    identity after `azd down`) has not.
grant_applied=false
if [[ -n "${APP_IDENTITY_PRINCIPAL_ID:-}" && -n "${AZURE_KEY_VAULT_NAME:-}" && -n "${AZURE_RESOURCE_GROUP:-}" &&
  -n "${AZURE_SUBSCRIPTION_ID:-}" ]]; then
  vault_id="/subscriptions/$AZURE_SUBSCRIPTION_ID/resourceGroups/$AZURE_RESOURCE_GROUP"
  vault_id+="/providers/Microsoft.KeyVault/vaults/$AZURE_KEY_VAULT_NAME"
  grants="$(az role assignment list --assignee "$APP_IDENTITY_PRINCIPAL_ID" --scope "$vault_id" --role "Key Vault Secrets User" \
    --query "length(@)" --only-show-errors -o tsv 2>/dev/null || true)"
  [[ "${grants:-0}" -gt 0 ]] && grant_applied=true
fi
[[ "$grant_applied" == true ]] || log "the app identity's Key Vault grant is new: postprovision attaches its Key Vault references"
set_env RECORDER_APP_SECRETS_FROM_KEY_VAULT "$grant_applied"
