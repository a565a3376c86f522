// A storage account with secure defaults (AVM style): no shared keys (Entra only), no anonymous blob
// access, HTTPS only with the highest minimum TLS version Storage enforces (TLS 1.2), infrastructure
// (double) encryption, optional customer-managed key, blob soft delete + versioning + container soft
// delete, optional change feed, lifecycle rules, CORS, containers, queues, role assignments and
// diagnostic settings to Log Analytics.

import { builtInRoleIds, roleAssignmentType } from 'roles.bicep'

@description('Name of the storage account (3-24 lowercase letters and digits, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region of the account.')
param location string

@description('Tags applied to the account.')
param tags object

@description('Replication: Standard_GZRS or Standard_RAGZRS for production, Standard_LRS/ZRS for development.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_RAGRS'
  'Standard_GZRS'
  'Standard_RAGZRS'
])
param skuName string

@description('Blob containers to create (private: no anonymous access).')
param containerNames string[]

@description('Blob containers to create under a container-level time-based retention policy (WORM): blobs can be created, never changed or deleted before it runs out.')
param immutableContainers immutableContainerType[] = []

@description('Storage queues to create.')
param queueNames string[] = []

@description('Browser origins allowed to call the Blob service (PUT of blocks with x-ms-* headers, ranged GET). Empty: no CORS rule.')
param corsAllowedOrigins string[] = []

@description('Lifecycle management rules (ARM shape of a managementPolicies rule). Empty: no policy.')
param lifecycleRules object[] = []

@description('Days a deleted blob (or overwritten version) stays recoverable.')
@minValue(1)
@maxValue(365)
param blobSoftDeleteRetentionDays int

@description('Days a deleted container stays recoverable.')
@minValue(1)
@maxValue(365)
param containerSoftDeleteRetentionDays int

@description('Keep every previous version of a blob when it is overwritten or deleted.')
param enableVersioning bool

@description('Days the blob change feed is kept; null turns the change feed off.')
@minValue(1)
@maxValue(146000)
param changeFeedRetentionDays int?

@description('Customer-managed key for encryption at rest; null keeps Microsoft-managed keys.')
param customerManagedKey customerManagedKeyType?

@description('Role assignments on the whole account.')
param roleAssignments roleAssignmentType[] = []

@description('Role assignments scoped to one container of this account.')
param containerRoleAssignments containerRoleAssignmentType[] = []

@description('Resource id of the Log Analytics workspace that receives the diagnostic settings.')
param logAnalyticsWorkspaceId string

@description('A key in Key Vault to encrypt the account with, and the identity that may use it.')
type customerManagedKeyType = {
  @description('Vault URI, e.g. https://kv-name.vault.azure.net/ (the environment suffix comes from environment()).')
  keyVaultUri: string

  @description('Name of the key (versionless: the account follows key rotation).')
  keyName: string

  @description('Resource id of the user-assigned identity holding Key Vault Crypto Service Encryption User on the key.')
  userAssignedIdentityId: string
}

@description('A container whose blobs are immutable for a number of days after they are created.')
type immutableContainerType = {
  @description('Name of the container.')
  name: string

  @description('Days each blob stays immutable after its creation (unlocked policy: docs/operations.md says when to lock it).')
  @minValue(1)
  @maxValue(146000)
  immutabilityPeriodDays: int
}

@description('A role assignment on a single container.')
type containerRoleAssignmentType = {
  @description('Name of a container created by this module.')
  containerName: string

  @description('Object id of the principal.')
  principalId: string

  @description('The built-in role, by its readable name.')
  roleName: roleAssignmentType.roleName

  @description('Kind of principal.')
  principalType: roleAssignmentType.principalType
}

resource storageAccount 'Microsoft.Storage/storageAccounts@2025-06-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  identity: customerManagedKey == null
    ? { type: 'None' }
    : {
        type: 'UserAssigned'
        userAssignedIdentities: {
          '${customerManagedKey!.userAssignedIdentityId}': {}
        }
      }
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    supportsHttpsTrafficOnly: true
    minimumTlsVersion: 'TLS1_2'
    isLocalUserEnabled: false
    isSftpEnabled: false
    isHnsEnabled: false
    // Browsers upload with SAS URLs from anywhere, so the endpoint stays public; every request
    // still needs an Entra token or a user delegation SAS (shared keys are off).
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: 'Allow'
    }
    encryption: {
      keySource: customerManagedKey == null ? 'Microsoft.Storage' : 'Microsoft.Keyvault'
      requireInfrastructureEncryption: true
      identity: customerManagedKey == null
        ? null
        : {
            userAssignedIdentity: customerManagedKey!.userAssignedIdentityId
          }
      keyvaultproperties: customerManagedKey == null
        ? null
        : {
            keyvaulturi: customerManagedKey!.keyVaultUri
            keyname: customerManagedKey!.keyName
          }
      services: {
        blob: {
          enabled: true
          keyType: 'Account'
        }
        file: {
          enabled: true
          keyType: 'Account'
        }
        queue: {
          enabled: true
          keyType: 'Account'
        }
        table: {
          enabled: true
          keyType: 'Account'
        }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-06-01' = {
  parent: storageAccount
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: blobSoftDeleteRetentionDays
      allowPermanentDelete: false
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: containerSoftDeleteRetentionDays
    }
    isVersioningEnabled: enableVersioning
    changeFeed: changeFeedRetentionDays == null
      ? {
          enabled: false
        }
      : {
          enabled: true
          retentionInDays: changeFeedRetentionDays
        }
    cors: {
      corsRules: empty(corsAllowedOrigins)
        ? []
        : [
            {
              allowedOrigins: corsAllowedOrigins
              allowedMethods: [
                'GET'
                'HEAD'
                'PUT'
                'OPTIONS'
              ]
              allowedHeaders: [
                'content-type'
                'content-length'
                'content-md5'
                'x-ms-*'
              ]
              exposedHeaders: [
                'etag'
                'content-length'
                'content-range'
                'x-ms-*'
              ]
              maxAgeInSeconds: 3600
            }
          ]
    }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = [
  for containerName in containerNames: {
    parent: blobService
    name: containerName
    properties: {
      publicAccess: 'None'
    }
  }
]

resource worm 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' = [
  for container in immutableContainers: {
    parent: blobService
    name: container.name
    properties: {
      publicAccess: 'None'
    }
  }
]

resource wormPolicies 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2025-06-01' = [
  for (container, i) in immutableContainers: {
    parent: worm[i]
    name: 'default'
    properties: {
      immutabilityPeriodSinceCreationInDays: container.immutabilityPeriodDays
      // Block blobs only, one per entry: nothing is ever appended to a blob once written.
      allowProtectedAppendWrites: false
      allowProtectedAppendWritesAll: false
    }
  }
]

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2025-06-01' = {
  parent: storageAccount
  name: 'default'
  properties: {}
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-06-01' = [
  for queueName in queueNames: {
    parent: queueService
    name: queueName
    properties: {}
  }
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2025-06-01' = {
  parent: storageAccount
  name: 'default'
  properties: {}
}

resource managementPolicy 'Microsoft.Storage/storageAccounts/managementPolicies@2025-06-01' = if (!empty(lifecycleRules)) {
  parent: storageAccount
  name: 'default'
  properties: {
    policy: {
      rules: lifecycleRules
    }
  }
  dependsOn: [
    containers
  ]
}

resource accountRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in roleAssignments: {
    name: guid(
      storageAccount.id,
      assignment.principalId,
      subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoleIds[assignment.roleName])
    )
    scope: storageAccount
    properties: {
      principalId: assignment.principalId
      principalType: assignment.principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoleIds[assignment.roleName])
      description: '${assignment.roleName} on ${name}'
    }
  }
]

resource scopedContainers 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-06-01' existing = [
  for assignment in containerRoleAssignments: {
    parent: blobService
    name: assignment.containerName
  }
]

resource containerRoleAssignmentResources 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for (assignment, i) in containerRoleAssignments: {
    name: guid(
      scopedContainers[i].id,
      assignment.principalId,
      subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoleIds[assignment.roleName])
    )
    scope: scopedContainers[i]
    properties: {
      principalId: assignment.principalId
      principalType: assignment.principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoleIds[assignment.roleName])
      description: '${assignment.roleName} on ${name}/${assignment.containerName}'
    }
    dependsOn: [
      containers
    ]
  }
]

resource accountDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: storageAccount
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    metrics: [
      {
        category: 'Transaction'
        enabled: true
      }
    ]
  }
}

resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: blobService
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
        category: 'Transaction'
        enabled: true
      }
    ]
  }
}

resource queueDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: queueService
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
        category: 'Transaction'
        enabled: true
      }
    ]
  }
}

resource tableDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: tableService
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
        category: 'Transaction'
        enabled: true
      }
    ]
  }
}

@description('Resource id of the storage account (also the Event Grid topic of its events).')
output id string = storageAccount.id

@description('Name of the storage account.')
output name string = storageAccount.name

@description('Blob service endpoint, e.g. https://name.blob.core.windows.net/.')
output blobEndpoint string = storageAccount.properties.primaryEndpoints.blob

@description('Queue service endpoint.')
output queueEndpoint string = storageAccount.properties.primaryEndpoints.queue

@description('Table service endpoint.')
output tableEndpoint string = storageAccount.properties.primaryEndpoints.table
