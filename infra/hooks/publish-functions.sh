#!/usr/bin/env bash
# Publishes the Functions app to the folder the Dockerfile copies into the image. The deploy step
# (deploy-functions.sh) runs it before the registry builds the image; run it by hand before a plain `docker build`.
HOOK_NAME=publish-functions
# shellcheck source=infra/hooks/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

cd "$(repo_root)"
require_commands dotnet

readonly PUBLISH_DIR=functions/Recorder.Functions/bin/publish
rm -rf "$PUBLISH_DIR"
log "dotnet publish functions/Recorder.Functions -c Release -o $PUBLISH_DIR"
dotnet publish functions/Recorder.Functions -c Release -o "$PUBLISH_DIR" --nologo
for required in Recorder.Functions.dll functions.metadata host.json worker.config.json; do
  [[ -f "$PUBLISH_DIR/$required" ]] || die "publish output lacks $required"
done
