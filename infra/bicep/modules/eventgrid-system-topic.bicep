// The Event Grid system topic of the recordings storage account. The subscription that delivers
// BlobCreated events to the ingest webhook is not created here: its URL carries the function key (a
// secret), so infra/hooks/postdeploy.sh deploys eventgrid-subscription.bicep with the key as a secure
// parameter once the app runs (docs/deploy.md, "Event Grid"). The topic's own identity writes
// dead-lettered events, so the dead-letter container needs no shared key or SAS.

import { builtInRoleIds } from 'roles.bicep'

@description('Name of the system topic.')
param name string

@description('Azure region of the storage account (a system topic lives where its source does).')
param location string

@description('Tags applied to the topic.')
param tags object

@description('Name of the storage account whose events the topic publishes (same resource group).')
param storageAccountName string

@description('Container that receives events Event Grid could not deliver.')
param deadLetterContainerName string

@description('Resource id of the Log Analytics workspace that receives the diagnostic settings.')
param logAnalyticsWorkspaceId string

resource storageAccount 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName

  resource blobService 'blobServices' existing = {
    name: 'default'

    resource deadLetterContainer 'containers' existing = {
      name: deadLetterContainerName
    }
  }
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: storageAccount.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

var blobDataContributor = subscriptionResourceId(
  'Microsoft.Authorization/roleDefinitions',
  builtInRoleIds['Storage Blob Data Contributor']
)

resource deadLetterWriter 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storageAccount::blobService::deadLetterContainer.id, systemTopic.id, blobDataContributor)
  scope: storageAccount::blobService::deadLetterContainer
  properties: {
    principalId: systemTopic.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: blobDataContributor
    description: 'Storage Blob Data Contributor on ${storageAccountName}/${deadLetterContainerName} (Event Grid dead letters)'
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: systemTopic
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

@description('Resource id of the system topic.')
output id string = systemTopic.id

@description('Name of the system topic.')
output name string = systemTopic.name
