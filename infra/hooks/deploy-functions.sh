#!/usr/bin/env bash
# azd predeploy hook: ships the Functions app, changing nothing of the container app but its image.
# azd deploys no service itself (azure.yaml has none): its container-app deploy reads the whole app and sends it back,
# scale rules included, which fails for a kind=functionapp app whose queue triggers use a managed identity
# (ContainerAppScaleRuleMissingAuth), and `az containerapp update --image` drops those rules (docs/deploy.md,
# "Queue scale rules"). This hook
#  1. publishes the app (publish-functions.sh) and builds the image in the registry (az acr build: no Docker engine);
#  2. sends an ARM PATCH that names properties.template.containers alone: the containers as they are, with the first
#     one's image replaced. A PATCH is a JSON merge patch, so scale rules, secrets and ingress stay as they are;
#  3. waits for the new revision, records the image in the azd environment (SERVICE_FUNCTIONS_IMAGE_NAME: the next
#     provision deploys the same image) and checks the queue scale rules (verify-scale-rules.sh).
HOOK_NAME=deploy-functions
# shellcheck source=infra/hooks/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$(repo_root)"

require_commands az jq dotnet
require_env AZURE_RESOURCE_GROUP SERVICE_FUNCTIONS_NAME AZURE_CONTAINER_REGISTRY_ENDPOINT

readonly IMAGE_REPOSITORY=recorder-functions
# A pipeline can name the image after its commit (RECORDER_IMAGE_TAG); by default, after the time.
tag="${RECORDER_IMAGE_TAG:-azd-deploy-$(date -u +%Y%m%d%H%M%S)}"
image="$AZURE_CONTAINER_REGISTRY_ENDPOINT/$IMAGE_REPOSITORY:$tag"

# 1. The image, built by the registry from the repository root (.dockerignore admits only the publish output).
infra/hooks/publish-functions.sh
log "building $image in the registry"
az acr build --registry "${AZURE_CONTAINER_REGISTRY_ENDPOINT%%.*}" --image "$IMAGE_REPOSITORY:$tag" --file Dockerfile \
  --only-show-errors --output none .

# 2. The image and nothing else.
make_private_tmp
app="$(functions_app_json)"
jq --arg image "$image" "{properties: {template: {containers: ($JQ_CONTAINERS_TO_SEND | .[0].image = \$image)}}}" \
  <<<"$app" >"$PRIVATE_TMP/image.json"
log "changing the image of $SERVICE_FUNCTIONS_NAME"
patch_functions_app "$(jq -r .id <<<"$app")" "$PRIVATE_TMP/image.json"

# 3. The new revision ready (or failed), within 10 minutes at the default pace.
for attempt in $(seq 1 60); do
  state="$(functions_app_json | jq -r --arg image "$image" '.properties
    | if .provisioningState == "Failed" then "failed"
      elif .provisioningState == "Succeeded" and .template.containers[0].image == $image
           and .latestReadyRevisionName == .latestRevisionName then "ready"
      else "updating" end')"
  [[ "$state" != failed ]] ||
    die "the new revision of $SERVICE_FUNCTIONS_NAME failed: see 'az containerapp revision list -n $SERVICE_FUNCTIONS_NAME -g $AZURE_RESOURCE_GROUP'"
  [[ "$state" != ready ]] || break
  [[ $attempt -lt 60 ]] || die "the new revision of $SERVICE_FUNCTIONS_NAME was not ready in time"
  poll_pause
done
record_env SERVICE_FUNCTIONS_IMAGE_NAME "$image"
log "$SERVICE_FUNCTIONS_NAME runs $image"

infra/hooks/verify-scale-rules.sh
