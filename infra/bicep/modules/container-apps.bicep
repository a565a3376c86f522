// Azure Functions on Azure Container Apps: a Container Apps environment (Consumption workload
// profile), a container registry (no admin user; the app pulls with its managed identity) and the
// Functions app itself as a container app of kind 'functionapp', so the platform runs the Functions
// host's scaling (HTTP, queue triggers, timers) for our image with ffmpeg in it.

import { builtInRoleIds } from 'roles.bicep'

@description('Name of the Container Apps environment.')
param environmentName string

@description('Name of the container registry (5-50 letters and digits, globally unique).')
@minLength(5)
@maxLength(50)
param registryName string

@description('Name of the Functions container app.')
@minLength(2)
@maxLength(32)
param appName string

@description('Azure region of the environment, registry and app.')
param location string

@description('Tags applied to every resource.')
param tags object

@description('Resource id of the app\'s user-assigned managed identity.')
param identityId string

@description('Object (principal) id of that identity (AcrPull on the registry).')
param identityPrincipalId string

@description('Container image; empty uses the Functions base image as a placeholder until the deploy step ships ours.')
param image string

@description('vCPUs per replica, e.g. 1.0 (Consumption profile: memory must be twice the vCPUs in GiB).')
param cpu string

@description('Memory per replica, e.g. 2Gi (ffmpeg remuxing and thumbnails need headroom).')
param memory string

@description('Replicas kept running: 1 keeps timers punctual, avoids cold starts and lets `az containerapp function keys` reach the host.')
@minValue(0)
param minReplicas int

@description('Upper bound of scale-out.')
@minValue(1)
@maxValue(1000)
param maxReplicas int

@description('Browser origins allowed to call the HTTP API with credentials (the Functions app\'s CORS).')
param corsAllowedOrigins string[]

@description('Environment variables (app settings) of the Functions container: name with value or secretRef.')
param environmentVariables object[]

@description('Container app secrets resolved from Key Vault by the app\'s identity: name (secretRef) and versionless keyVaultUrl.')
param keyVaultSecrets keyVaultSecretType[]

@description('Resource id of a subnet for the environment (needed to reach a PostgreSQL server with private access); empty: no virtual network.')
param infrastructureSubnetId string = ''

@description('Spread the environment across availability zones (needs infrastructureSubnetId).')
param zoneRedundant bool = false

@description('Resource id of the Log Analytics workspace that receives the diagnostic settings.')
param logAnalyticsWorkspaceId string

@description('A container app secret that is a Key Vault reference.')
type keyVaultSecretType = {
  @description('Secret name inside the container app (referenced by environment variables).')
  name: string

  @description('Versionless secret URI, so a new version in Key Vault is picked up without a template change.')
  keyVaultUrl: string
}

var placeholderImage = 'mcr.microsoft.com/azure-functions/dotnet-isolated:4-dotnet-isolated10.0'

resource environment 'Microsoft.App/managedEnvironments@2025-07-01' = {
  name: environmentName
  location: location
  tags: tags
  properties: {
    // Console and system logs go through Azure Monitor (the diagnostic setting below): no
    // workspace shared key is handed to the environment.
    appLogsConfiguration: {
      destination: 'azure-monitor'
    }
    workloadProfiles: [
      {
        name: 'Consumption'
        workloadProfileType: 'Consumption'
      }
    ]
    vnetConfiguration: empty(infrastructureSubnetId)
      ? null
      : {
          infrastructureSubnetId: infrastructureSubnetId
          internal: false
        }
    zoneRedundant: !empty(infrastructureSubnetId) && zoneRedundant
  }
}

resource environmentDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: environment
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

resource registry 'Microsoft.ContainerRegistry/registries@2025-04-01' = {
  name: registryName
  location: location
  tags: tags
  sku: {
    name: 'Standard'
  }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
    publicNetworkAccess: 'Enabled'
  }
}

var acrPull = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoleIds.AcrPull)

resource acrPullAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, identityPrincipalId, acrPull)
  scope: registry
  properties: {
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: acrPull
    description: 'AcrPull on ${registryName}'
  }
}

resource registryDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: registry
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

resource app 'Microsoft.App/containerApps@2025-07-01' = {
  name: appName
  location: location
  tags: tags
  kind: 'functionapp'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    managedEnvironmentId: environment.id
    workloadProfileName: 'Consumption'
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: {
        external: true
        targetPort: 80
        transport: 'auto'
        allowInsecure: false
        corsPolicy: empty(corsAllowedOrigins)
          ? null
          : {
              allowedOrigins: corsAllowedOrigins
              allowedMethods: [
                'GET'
                'POST'
                'PUT'
                'PATCH'
                'DELETE'
                'OPTIONS'
              ]
              // Listed, not '*': a credentialed preflight takes '*' literally, and '*' never covers Authorization.
              // What the client module (web/recorder/recorder-client.js) sends: Accept and, with a body, Content-Type
              // application/json; Authorization when the page signs in with a bearer token.
              allowedHeaders: [
                'Accept'
                'Authorization'
                'Content-Type'
              ]
              // What the client module reads: a created recording's Location, the edit version's ETag, an outage's Retry-After.
              exposeHeaders: [
                'Location'
                'ETag'
                'Retry-After'
              ]
              allowCredentials: true
              maxAge: 3600
            }
      }
      registries: [
        {
          server: registry.properties.loginServer
          identity: identityId
        }
      ]
      secrets: [
        for secret in keyVaultSecrets: {
          name: secret.name
          keyVaultUrl: secret.keyVaultUrl
          identity: identityId
        }
      ]
    }
    template: {
      containers: [
        {
          name: 'functions'
          image: empty(image) ? placeholderImage : image
          env: environmentVariables
          resources: {
            cpu: json(cpu)
            memory: memory
          }
        }
      ]
      scale: {
        minReplicas: minReplicas
        maxReplicas: maxReplicas
      }
    }
  }
  dependsOn: [
    acrPullAssignment
  ]
}

@description('Resource id of the Functions container app.')
output appId string = app.id

@description('Name of the Functions container app.')
output appName string = app.name

@description('Public host name of the app.')
output appFqdn string = app.properties.configuration.ingress.fqdn

@description('Name of the Container Apps environment.')
output environmentName string = environment.name

@description('Resource id of the Container Apps environment.')
output environmentId string = environment.id

@description('Login server of the registry, e.g. crname.azurecr.io.')
output registryLoginServer string = registry.properties.loginServer

@description('Name of the registry.')
output registryName string = registry.name
