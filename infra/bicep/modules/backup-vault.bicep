// Long-term backups (docs/operations.md, "What is kept where, and for how long"): an Azure Backup vault,
// immutable and soft-deleting, geo-redundant where offered, that keeps a weekly vaulted backup of the
// PostgreSQL Flexible Server (a logical dump; up to 10 years) and of the recordings containers for
// retentionYears. The vault's system-assigned identity gets the roles each backup needs; every role
// assignment is named guid(scope, vault, role definition), since the identity's principal id is not
// known when the deployment starts.

import { builtInRoleIds } from 'roles.bicep'

@description('Name of the Backup vault.')
@minLength(2)
@maxLength(50)
param name string

@description('Azure region of the vault (the server and the storage account must be in the same one).')
param location string

@description('Tags applied to the vault.')
param tags object

@description('Where the vault keeps backups: GeoRedundant (paired region, cross-region restore), ZoneRedundant or LocallyRedundant. Settable until the first backup.')
@allowed([
  'GeoRedundant'
  'ZoneRedundant'
  'LocallyRedundant'
])
param redundancy string = 'GeoRedundant'

@description('Years every weekly backup is kept (the service allows up to 10).')
@minValue(1)
@maxValue(10)
param retentionYears int

@description('Vault immutability: Unlocked (on; can still be turned off) or Locked (on for good: no recovery point can be deleted before it expires).')
@allowed([
  'Unlocked'
  'Locked'
])
param immutabilityState string = 'Unlocked'

@description('Days a deleted backup stays recoverable (vault soft delete).')
@minValue(14)
@maxValue(180)
param softDeleteRetentionDays int = 14

@description('Name of the PostgreSQL Flexible Server to back up (same resource group).')
param postgresServerName string

@description('Name of the recordings storage account whose containers are backed up (same resource group).')
param storageAccountName string

@description('Containers of that account to back up.')
param containerNames string[]

@description('Resource id of the Log Analytics workspace that receives the diagnostic settings.')
param logAnalyticsWorkspaceId string

// Weekly, Sunday 02:00 UTC: the vaulted PostgreSQL backup is a pg_dump, kept out of the working day.
var weeklySchedule = 'R/2025-01-05T02:00:00+00:00/P1W'

// One policy per datasource: a backup a week, tagged Default, kept in the vault for retentionYears.
var policies = [
  {
    name: 'postgres-weekly-${retentionYears}y'
    datasourceType: 'Microsoft.DBforPostgreSQL/flexibleServers'
    backupType: 'Full'
  }
  {
    name: 'recordings-weekly-${retentionYears}y'
    datasourceType: 'Microsoft.Storage/storageAccounts/blobServices'
    backupType: 'Discrete'
  }
]

var postgresBackupRole = subscriptionResourceId(
  'Microsoft.Authorization/roleDefinitions',
  builtInRoleIds['PostgreSQL Flexible Server Long Term Retention Backup Role']
)
var readerRole = subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoleIds.Reader)
var storageBackupRole = subscriptionResourceId(
  'Microsoft.Authorization/roleDefinitions',
  builtInRoleIds['Storage Account Backup Contributor']
)

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2025-08-01' existing = {
  name: postgresServerName
}

resource storageAccount 'Microsoft.Storage/storageAccounts@2025-06-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.DataProtection/backupVaults@2025-01-01' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    storageSettings: [
      {
        datastoreType: 'VaultStore'
        type: redundancy
      }
    ]
    securitySettings: {
      immutabilitySettings: {
        state: immutabilityState
      }
      softDeleteSettings: {
        state: 'On'
        retentionDurationInDays: softDeleteRetentionDays
      }
    }
    featureSettings: {
      crossRegionRestoreSettings: {
        state: redundancy == 'GeoRedundant' ? 'Enabled' : 'Disabled'
      }
    }
    monitoringSettings: {
      azureMonitorAlertSettings: {
        alertsForAllJobFailures: 'Enabled'
      }
    }
  }
}

resource backupPolicies 'Microsoft.DataProtection/backupVaults/backupPolicies@2025-01-01' = [
  for policy in policies: {
    parent: vault
    name: policy.name
    properties: {
      objectType: 'BackupPolicy'
      datasourceTypes: [
        policy.datasourceType
      ]
      policyRules: [
        {
          name: 'BackupWeekly'
          objectType: 'AzureBackupRule'
          backupParameters: {
            objectType: 'AzureBackupParams'
            backupType: policy.backupType
          }
          dataStore: {
            dataStoreType: 'VaultStore'
            objectType: 'DataStoreInfoBase'
          }
          trigger: {
            objectType: 'ScheduleBasedTriggerContext'
            schedule: {
              repeatingTimeIntervals: [
                weeklySchedule
              ]
              timeZone: 'UTC'
            }
            taggingCriteria: [
              {
                isDefault: true
                taggingPriority: 99
                tagInfo: {
                  tagName: 'Default'
                }
              }
            ]
          }
        }
        {
          name: 'Default'
          objectType: 'AzureRetentionRule'
          isDefault: true
          lifecycles: [
            {
              deleteAfter: {
                objectType: 'AbsoluteDeleteOption'
                duration: 'P${retentionYears}Y'
              }
              sourceDataStore: {
                dataStoreType: 'VaultStore'
                objectType: 'DataStoreInfoBase'
              }
              targetDataStoreCopySettings: []
            }
          ]
        }
      ]
    }
  }
]

// The vault starts the server's long-term backups and reads its resource group (the datasource's manifest).
resource postgresBackupGrant 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(server.id, vault.id, postgresBackupRole)
  scope: server
  properties: {
    principalId: vault.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: postgresBackupRole
    description: 'PostgreSQL Flexible Server Long Term Retention Backup Role on ${postgresServerName} for the Backup vault'
  }
}

resource resourceGroupReaderGrant 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, vault.id, readerRole)
  properties: {
    principalId: vault.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: readerRole
    description: 'Reader on the resource group for the Backup vault'
  }
}

resource storageBackupGrant 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storageAccount.id, vault.id, storageBackupRole)
  scope: storageAccount
  properties: {
    principalId: vault.identity.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: storageBackupRole
    description: 'Storage Account Backup Contributor on ${storageAccountName} for the Backup vault'
  }
}

resource postgresInstance 'Microsoft.DataProtection/backupVaults/backupInstances@2025-01-01' = {
  parent: vault
  name: postgresServerName
  properties: {
    objectType: 'BackupInstance'
    friendlyName: postgresServerName
    dataSourceInfo: {
      objectType: 'Datasource'
      datasourceType: 'Microsoft.DBforPostgreSQL/flexibleServers'
      resourceID: server.id
      resourceName: postgresServerName
      resourceType: 'Microsoft.DBforPostgreSQL/flexibleServers'
      resourceUri: server.id
      resourceLocation: location
    }
    dataSourceSetInfo: {
      objectType: 'DatasourceSet'
      datasourceType: 'Microsoft.DBforPostgreSQL/flexibleServers'
      resourceID: server.id
      resourceName: postgresServerName
      resourceType: 'Microsoft.DBforPostgreSQL/flexibleServers'
      resourceUri: server.id
      resourceLocation: location
    }
    policyInfo: {
      policyId: backupPolicies[0].id
    }
  }
  dependsOn: [
    postgresBackupGrant
    resourceGroupReaderGrant
  ]
}

resource blobInstance 'Microsoft.DataProtection/backupVaults/backupInstances@2025-01-01' = {
  parent: vault
  name: storageAccountName
  properties: {
    objectType: 'BackupInstance'
    friendlyName: storageAccountName
    dataSourceInfo: {
      objectType: 'Datasource'
      datasourceType: 'Microsoft.Storage/storageAccounts/blobServices'
      resourceID: storageAccount.id
      resourceName: storageAccountName
      resourceType: 'Microsoft.Storage/storageAccounts'
      resourceUri: storageAccount.id
      resourceLocation: location
    }
    dataSourceSetInfo: {
      objectType: 'DatasourceSet'
      datasourceType: 'Microsoft.Storage/storageAccounts/blobServices'
      resourceID: storageAccount.id
      resourceName: storageAccountName
      resourceType: 'Microsoft.Storage/storageAccounts'
      resourceUri: storageAccount.id
      resourceLocation: location
    }
    policyInfo: {
      policyId: backupPolicies[1].id
      policyParameters: {
        backupDatasourceParametersList: [
          {
            objectType: 'BlobBackupDatasourceParameters'
            containersList: containerNames
          }
        ]
      }
    }
  }
  dependsOn: [
    storageBackupGrant
  ]
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: vault
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
  }
}

@description('Name of the Backup vault.')
output name string = vault.name

@description('Resource id of the Backup vault.')
output id string = vault.id
