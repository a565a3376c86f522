#!/usr/bin/env bash
# azd postdeploy hook: wires Event Grid to the ingest webhook once the app runs.
#
# The subscription delivers to BlobCreatedWebhook (route api/events/blob-created, Function auth
# level), so its URL must carry a function key: a secret that exists only after the app's first
# start and must not appear in a template. This hook
#  1. waits until the Functions host of the new revision lists BlobCreatedWebhook;
#  2. reads the function key named $RECORDER_EVENTGRID_KEY_NAME (default: eventgrid) of that
#     function, or creates it with a random value (the host keeps keys in AzureWebJobsStorage, so
#     they survive restarts, new revisions and re-provisioning);
#  3. deploys infra/bicep/modules/eventgrid-subscription.bicep with the webhook URL as a secure
#     parameter: BlobCreated on the uploads container, advanced filter on data.api, retry policy,
#     dead-letter to the dead-letter container. Event Grid validates the endpoint with the
#     SubscriptionValidationEvent handshake, which the webhook answers.
# The key travels only through environment variables and a parameters file in a private temporary
# directory, deleted on exit (a new key's value is on the `az ... keys set` command line once).
# Rotate by running with RECORDER_EVENTGRID_KEY_NAME set to a new name, then delete the old key
# (docs/operations.md).
HOOK_NAME=postdeploy
# shellcheck source=infra/hooks/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$(repo_root)"

require_commands az jq openssl
require_env AZURE_RESOURCE_GROUP SERVICE_FUNCTIONS_NAME SERVICE_FUNCTIONS_URI EVENTGRID_SYSTEM_TOPIC_NAME \
  RECORDINGS_STORAGE_ACCOUNT_ID RECORDINGS_UPLOADS_CONTAINER RECORDINGS_DEADLETTER_CONTAINER

readonly FUNCTION_NAME=BlobCreatedWebhook
readonly WEBHOOK_ROUTE=api/events/blob-created
readonly KEY_NAME="${RECORDER_EVENTGRID_KEY_NAME:-eventgrid}"
readonly SUBSCRIPTION_NAME=recordings-uploads-blob-created

# The function-keys commands are in the containerapp extension (preview command group).
if ! az containerapp function keys list --help >/dev/null 2>&1; then
  log "installing the Azure CLI containerapp extension"
  az extension add --name containerapp --upgrade --only-show-errors
fi

# 1. The key commands talk to the running host of the latest revision: wait until it lists the function.
log "waiting for $FUNCTION_NAME on $SERVICE_FUNCTIONS_NAME"
for attempt in $(seq 1 60); do
  if az containerapp function show --resource-group "$AZURE_RESOURCE_GROUP" --name "$SERVICE_FUNCTIONS_NAME" \
    --function-name "$FUNCTION_NAME" --only-show-errors --output none 2>/dev/null; then
    break
  fi
  [[ $attempt -lt 60 ]] || die "$FUNCTION_NAME did not appear within 10 minutes: check 'az containerapp logs show -n $SERVICE_FUNCTIONS_NAME -g $AZURE_RESOURCE_GROUP'"
  sleep 10
done

# 2. The function key (its value is found wherever the command's JSON nests it).
read_key() {
  az containerapp function keys list --resource-group "$AZURE_RESOURCE_GROUP" --name "$SERVICE_FUNCTIONS_NAME" \
    --key-type functionKey --function-name "$FUNCTION_NAME" --only-show-errors --output json 2>/dev/null |
    jq -r --arg name "$KEY_NAME" 'first(.. | objects | select(.name? == $name) | .value? // empty | strings) // empty'
}
key="$(read_key || true)"
if [[ -z "$key" ]]; then
  log "creating function key '$KEY_NAME' for $FUNCTION_NAME"
  az containerapp function keys set --resource-group "$AZURE_RESOURCE_GROUP" --name "$SERVICE_FUNCTIONS_NAME" \
    --key-type functionKey --function-name "$FUNCTION_NAME" --key-name "$KEY_NAME" \
    --key-value "$(openssl rand -hex 32)" --only-show-errors --output none
  key="$(read_key || true)"
  [[ -n "$key" ]] || die "function key '$KEY_NAME' could not be read back"
fi

# 3. The subscription, deployed from Bicep with the URL as a secure parameter.
make_private_tmp
parameters_file="$PRIVATE_TMP/eventgrid-subscription.parameters.json"
WEBHOOK_URL="${SERVICE_FUNCTIONS_URI%/}/$WEBHOOK_ROUTE?code=$key" jq -n \
  --arg systemTopicName "$EVENTGRID_SYSTEM_TOPIC_NAME" \
  --arg subscriptionName "$SUBSCRIPTION_NAME" \
  --arg storageAccountId "$RECORDINGS_STORAGE_ACCOUNT_ID" \
  --arg uploadsContainerName "$RECORDINGS_UPLOADS_CONTAINER" \
  --arg deadLetterContainerName "$RECORDINGS_DEADLETTER_CONTAINER" \
  '{
    "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
    contentVersion: "1.0.0.0",
    parameters: {
      systemTopicName: { value: $systemTopicName },
      subscriptionName: { value: $subscriptionName },
      webhookUrl: { value: $ENV.WEBHOOK_URL },
      storageAccountId: { value: $storageAccountId },
      uploadsContainerName: { value: $uploadsContainerName },
      deadLetterContainerName: { value: $deadLetterContainerName }
    }
  }' >"$parameters_file"

log "deploying Event Grid subscription $SUBSCRIPTION_NAME on $EVENTGRID_SYSTEM_TOPIC_NAME"
az deployment group create --only-show-errors --output none \
  --resource-group "$AZURE_RESOURCE_GROUP" --name eventgrid-subscription \
  --template-file infra/bicep/modules/eventgrid-subscription.bicep \
  --parameters "@$parameters_file"

state="$(az eventgrid system-topic event-subscription show --only-show-errors \
  --resource-group "$AZURE_RESOURCE_GROUP" --system-topic-name "$EVENTGRID_SYSTEM_TOPIC_NAME" \
  --name "$SUBSCRIPTION_NAME" --query provisioningState -o tsv)"
[[ "$state" == "Succeeded" ]] || die "event subscription is $state"
log "Event Grid delivers BlobCreated of $RECORDINGS_UPLOADS_CONTAINER to $FUNCTION_NAME (dead letters: $RECORDINGS_DEADLETTER_CONTAINER)"
