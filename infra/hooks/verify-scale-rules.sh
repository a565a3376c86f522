#!/usr/bin/env bash
# Checks that the Functions container app has a queue scale rule for every queue a function is triggered by
# (FUNCTIONS_TRIGGER_QUEUES). For a container app of kind functionapp the platform derives those rules from the
# triggers the Functions host reports when it starts (trigger sync). An update that sends the app back whole can drop
# them, and the host then skips the sync because its hash of the triggers has not changed (docs/deploy.md, "Queue scale
# rules"). Without them the app still works on its minReplicas but never scales out on queue length.
# Missing after RECORDER_SCALE_RULE_WAIT_SECONDS (default 300), the rules are recovered once: the host's trigger-sync hash
# (azure-webjobs-hosts/synctriggers/<host id>/last in the host storage account) is deleted and the latest revision
# restarted, so the host syncs its triggers again. Still missing after that, the hook fails naming the queues.
# postprovision.sh (when the app runs our image) and deploy-functions.sh run it; so can an operator, after a manual fix.
HOOK_NAME=verify-scale-rules
# shellcheck source=infra/hooks/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_commands az jq
require_env AZURE_RESOURCE_GROUP SERVICE_FUNCTIONS_NAME FUNCTIONS_TRIGGER_QUEUES FUNCTIONS_HOST_ID HOST_STORAGE_ACCOUNT_NAME

# The trigger queues that have no queue rule (an azureQueue rule, or a custom KEDA azure-queue one), one per line.
missing_queue_rules() {
  functions_app_json | jq -r --argjson expected "$FUNCTIONS_TRIGGER_QUEUES" '
    [ (.properties.template.scale.rules // [])[]
      | .azureQueue.queueName // (if .custom.type == "azure-queue" then .custom.metadata.queueName else null end)
      | strings ] as $ruled
    | $expected - $ruled | .[]'
}

# Sets MISSING to the queues still without a rule once they all have one or the wait is over (a failing az stops the hook).
wait_for_queue_rules() {
  local deadline=$((SECONDS + ${RECORDER_SCALE_RULE_WAIT_SECONDS:-300}))
  while true; do
    MISSING="$(missing_queue_rules)"
    [[ -n "$MISSING" ]] && ((SECONDS < deadline)) || return 0
    poll_pause
  done
}

log "checking the queue scale rules of $SERVICE_FUNCTIONS_NAME"
wait_for_queue_rules
if [[ -z "$MISSING" ]]; then
  log "every trigger queue has its scale rule"
  exit 0
fi

log "no queue scale rule for: ${MISSING//$'\n'/ }; resetting the trigger-sync hash and restarting the latest revision"
if ! az storage blob delete --auth-mode login --account-name "$HOST_STORAGE_ACCOUNT_NAME" --container-name azure-webjobs-hosts \
  --name "synctriggers/$FUNCTIONS_HOST_ID/last" --only-show-errors --output none; then
  log "the trigger-sync hash could not be deleted (already gone, or no Storage Blob Data Contributor on $HOST_STORAGE_ACCOUNT_NAME)"
fi
revision="$(az containerapp show --resource-group "$AZURE_RESOURCE_GROUP" --name "$SERVICE_FUNCTIONS_NAME" \
  --query properties.latestRevisionName --only-show-errors -o tsv)"
az containerapp revision restart --resource-group "$AZURE_RESOURCE_GROUP" --name "$SERVICE_FUNCTIONS_NAME" \
  --revision "$revision" --only-show-errors --output none

wait_for_queue_rules
[[ -z "$MISSING" ]] || die "still no queue scale rule for: ${MISSING//$'\n'/ }." \
  "The app runs on its minReplicas but does not scale out on these queues: see docs/deploy.md, 'Queue scale rules'"
log "the queue scale rules are back"
