// Key Vault in RBAC mode with purge protection: holds the session-cookie and JWT secrets the app reads
// through Container Apps Key Vault references, and (optionally) the customer-managed key of the
// recordings storage account. Secret values never appear in a template: they arrive as secure
// parameters (from the azd environment) or are set by an operator with `az keyvault secret set`.

import { builtInRoleIds, roleAssignmentType } from 'roles.bicep'

@description('Name of the vault (3-24 characters, globally unique).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region of the vault.')
param location string

@description('Tags applied to the vault.')
param tags object

@description('Days a deleted vault or secret stays recoverable (purge protection keeps anyone from shortening it).')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 90

@description('Enabled: reachable from the internet (every call still needs Entra RBAC). Disabled: private endpoints only.')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string = 'Enabled'

@description('Secrets to create or update, name to value. Empty values are skipped, so an existing secret is left as it is.')
@secure()
param secretValues object = {}

@description('Name of an RSA key to create for customer-managed encryption; empty creates none.')
param encryptionKeyName string = ''

@description('Object id of the identity that wraps and unwraps with the encryption key (Key Vault Crypto Service Encryption User on the key).')
param encryptionKeyUserPrincipalId string = ''

@description('Role assignments on the vault.')
param roleAssignments roleAssignmentType[] = []

@description('Resource id of the Log Analytics workspace that receives the diagnostic settings.')
param logAnalyticsWorkspaceId string

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: publicNetworkAccess
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: publicNetworkAccess == 'Enabled' ? 'Allow' : 'Deny'
    }
  }
}

resource secrets 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = [
  for secret in items(secretValues): if (!empty(secret.value)) {
    parent: vault
    name: secret.key
    properties: {
      value: secret.value
      contentType: 'text/plain'
    }
  }
]

resource encryptionKey 'Microsoft.KeyVault/vaults/keys@2024-11-01' = if (!empty(encryptionKeyName)) {
  parent: vault
  name: empty(encryptionKeyName) ? 'unused' : encryptionKeyName
  properties: {
    kty: 'RSA'
    keySize: 3072
    keyOps: [
      'wrapKey'
      'unwrapKey'
    ]
    rotationPolicy: {
      attributes: {
        expiryTime: 'P2Y'
      }
      lifetimeActions: [
        {
          trigger: {
            timeAfterCreate: 'P1Y'
          }
          action: {
            type: 'rotate'
          }
        }
        {
          trigger: {
            timeBeforeExpiry: 'P30D'
          }
          action: {
            type: 'notify'
          }
        }
      ]
    }
  }
}

resource encryptionKeyRoleAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(encryptionKeyName) && !empty(encryptionKeyUserPrincipalId)) {
  name: guid(
    encryptionKey.id,
    encryptionKeyUserPrincipalId,
    subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoleIds['Key Vault Crypto Service Encryption User'])
  )
  scope: encryptionKey
  properties: {
    principalId: encryptionKeyUserPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoleIds['Key Vault Crypto Service Encryption User'])
    description: 'Key Vault Crypto Service Encryption User on ${name}/${encryptionKeyName}'
  }
}

resource vaultRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in roleAssignments: {
    name: guid(
      vault.id,
      assignment.principalId,
      subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoleIds[assignment.roleName])
    )
    scope: vault
    properties: {
      principalId: assignment.principalId
      principalType: assignment.principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoleIds[assignment.roleName])
      description: '${assignment.roleName} on ${name}'
    }
  }
]

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
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

@description('Resource id of the vault.')
output id string = vault.id

@description('Name of the vault.')
output name string = vault.name

@description('Vault URI, e.g. https://kv-name.vault.azure.net/.')
output uri string = vault.properties.vaultUri

@description('Name of the customer-managed encryption key (empty when none was requested).')
output encryptionKeyName string = empty(encryptionKeyName) ? '' : encryptionKey.name
