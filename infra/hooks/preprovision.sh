#!/usr/bin/env bash
# azd preprovision hook: completes the azd environment before Bicep runs.
#  - AZURE_PRINCIPAL_NAME / AZURE_PRINCIPAL_TYPE: the signed-in principal becomes the PostgreSQL
#    Microsoft Entra administrator (it runs the migrations); Bicep needs its name, azd gives only its id.
#  - the values main.parameters.json requires (alert e-mail, JWT issuer) and, on the first
#    provision, the two app secrets that Key Vault must hold before the app can start.
# Secret values are read from the environment and never printed.
HOOK_NAME=preprovision
# shellcheck source=infra/hooks/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_commands az azd

if [[ -z "${AZURE_PRINCIPAL_NAME:-}" || -z "${AZURE_PRINCIPAL_ID:-}" ]]; then
  account_type="$(az account show --query user.type -o tsv)"
  if [[ "$account_type" == "user" ]]; then
    principal_name="$(az ad signed-in-user show --query userPrincipalName -o tsv)"
    principal_id="$(az ad signed-in-user show --query id -o tsv)"
    principal_type=User
  else
    app_id="$(az account show --query user.name -o tsv)"
    principal_name="$(az ad sp show --id "$app_id" --query displayName -o tsv)"
    principal_id="$(az ad sp show --id "$app_id" --query id -o tsv)"
    principal_type=ServicePrincipal
  fi
  log "PostgreSQL Entra administrator: $principal_name ($principal_type)"
  azd env set AZURE_PRINCIPAL_NAME "$principal_name"
  azd env set AZURE_PRINCIPAL_TYPE "$principal_type"
  [[ -n "${AZURE_PRINCIPAL_ID:-}" ]] || azd env set AZURE_PRINCIPAL_ID "$principal_id"
fi

require_env RECORDER_ALERT_EMAIL RECORDER_JWT_ISSUER

# Before the first provision there is no Key Vault to hold the secrets, and the app's Key Vault
# references must resolve when the container app is created: take them from the environment once.
if [[ -z "${AZURE_KEY_VAULT_NAME:-}" ]]; then
  [[ -n "${RECORDER_SESSION_SECRET:-}" && -n "${RECORDER_JWT_HMAC_SECRET:-}" ]] ||
    die "the first provision needs RECORDER_SESSION_SECRET (the main app's express-session secret) and RECORDER_JWT_HMAC_SECRET: azd env set them, provision, then unset them (docs/deploy.md)"
fi
