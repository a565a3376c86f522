# The Recorder Functions app: the official Azure Functions .NET 10 isolated-worker base image
# (Debian), Debian's ffmpeg (ffprobe and ffmpeg for ingest: probing, thumbnails, remuxing) and
# tzdata, and the app's publish output. Build input, produced before the build (the deploy step,
# infra/hooks/deploy-functions.sh, runs infra/hooks/publish-functions.sh, then `az acr build`):
#
#   dotnet publish functions/Recorder.Functions -c Release -o functions/Recorder.Functions/bin/publish
#
# The build context is the repository root; .dockerignore admits only that folder.
FROM mcr.microsoft.com/azure-functions/dotnet-isolated:4-dotnet-isolated10.0

RUN apt-get update \
    && apt-get install -y --no-install-recommends ffmpeg tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && ffprobe -version >/dev/null \
    && ffmpeg -version >/dev/null

ENV AzureWebJobsScriptRoot=/home/site/wwwroot \
    AzureFunctionsJobHost__Logging__Console__IsEnabled=true

COPY functions/Recorder.Functions/bin/publish/ /home/site/wwwroot/
