// Azure Database for PostgreSQL Flexible Server: Microsoft Entra authentication only (no password
// login exists), TLS required, 35-day backups (point-in-time restore to any second in that window),
// stored geo-redundantly unless turned off (then no geo-restore), optional zone-redundant high availability,
// public access with firewall rules or private access in a delegated subnet.
// The app's roles (recorder_app, recorder_maintenance) are created by the migration step, not here:
// see infra/hooks/postprovision.sh and docs/deploy.md.

@description('Name of the server (becomes <name>.postgres.database.azure.com).')
@minLength(3)
@maxLength(63)
param name string

@description('Azure region of the server.')
param location string

@description('Tags applied to the server.')
param tags object

@description('PostgreSQL major version. 16 or later: infra/hooks/sql/map-app-identity.sql grants roles WITH INHERIT FALSE, SET TRUE.')
@allowed([
  '16'
  '17'
])
param version string

@description('Compute size, e.g. Standard_D2ds_v5 (General Purpose) or Standard_B2ms (Burstable, development only).')
param skuName string

@description('Compute tier; zone-redundant high availability needs GeneralPurpose or MemoryOptimized.')
@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param skuTier string

@description('Provisioned storage in GiB (grows automatically when nearly full, and never shrinks: pass the current size).')
@minValue(32)
param storageSizeGB int

@description('Keep backups geo-redundantly (paired region). Only settable when the server is created.')
param geoRedundantBackup bool

@description('Zone-redundant high availability: a synchronous standby in another availability zone.')
param zoneRedundantHighAvailability bool

@description('Database the recorder (and the main app) uses.')
param databaseName string

@description('Object id of the Microsoft Entra principal that administers the server (runs migrations).')
param administratorObjectId string

@description('Name of that principal: a user principal name, a group display name or an application name.')
param administratorPrincipalName string

@description('Kind of that principal.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param administratorPrincipalType string

@description('Resource id of a subnet delegated to Microsoft.DBforPostgreSQL/flexibleServers; set (with a private DNS zone) for private access, empty for public access.')
param delegatedSubnetResourceId string = ''

@description('Resource id of the private DNS zone (privatelink.postgres.database.azure.com) used with private access.')
param privateDnsZoneResourceId string = ''

@description('Public access only: let Azure services (e.g. the Container Apps environment, whose outbound IPs are not fixed) connect.')
param allowAzureServices bool = true

@description('Public access only: firewall rules for client addresses, e.g. an operator network.')
param firewallRules firewallRuleType[] = []

@description('Resource id of the Log Analytics workspace that receives the diagnostic settings.')
param logAnalyticsWorkspaceId string

@description('An allowed range of client IPv4 addresses.')
type firewallRuleType = {
  @description('Name of the rule.')
  name: string

  @description('First address of the range.')
  startIpAddress: string

  @description('Last address of the range.')
  endIpAddress: string
}

var privateAccess = !empty(delegatedSubnetResourceId)

// Server parameters: TLS required (and at least 1.2), connection and lock diagnostics in the logs.
var serverConfigurations = [
  {
    name: 'require_secure_transport'
    value: 'ON'
  }
  {
    name: 'ssl_min_protocol_version'
    value: 'TLSv1.2'
  }
  {
    name: 'log_connections'
    value: 'on'
  }
  {
    name: 'log_disconnections'
    value: 'on'
  }
  {
    name: 'log_lock_waits'
    value: 'on'
  }
]

var allFirewallRules = concat(
  allowAzureServices
    ? [
        {
          name: 'AllowAllAzureServicesAndResourcesWithinAzureIps'
          startIpAddress: '0.0.0.0'
          endIpAddress: '0.0.0.0'
        }
      ]
    : [],
  firewallRules
)

resource server 'Microsoft.DBforPostgreSQL/flexibleServers@2025-08-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuTier
  }
  properties: {
    version: version
    authConfig: {
      activeDirectoryAuth: 'Enabled'
      passwordAuth: 'Disabled'
      tenantId: tenant().tenantId
    }
    storage: {
      storageSizeGB: storageSizeGB
      autoGrow: 'Enabled'
    }
    backup: {
      backupRetentionDays: 35
      geoRedundantBackup: geoRedundantBackup ? 'Enabled' : 'Disabled'
    }
    highAvailability: {
      mode: zoneRedundantHighAvailability ? 'ZoneRedundant' : 'Disabled'
    }
    network: privateAccess
      ? {
          publicNetworkAccess: 'Disabled'
          delegatedSubnetResourceId: delegatedSubnetResourceId
          privateDnsZoneArmResourceId: privateDnsZoneResourceId
        }
      : {
          publicNetworkAccess: 'Enabled'
        }
  }
}

resource administrator 'Microsoft.DBforPostgreSQL/flexibleServers/administrators@2025-08-01' = {
  parent: server
  name: administratorObjectId
  properties: {
    principalName: administratorPrincipalName
    principalType: administratorPrincipalType
    tenantId: tenant().tenantId
  }
}

// The server accepts one management operation at a time: configurations, database and firewall
// rules go one after another, after the administrator.
@batchSize(1)
resource configurations 'Microsoft.DBforPostgreSQL/flexibleServers/configurations@2025-08-01' = [
  for configuration in serverConfigurations: {
    parent: server
    name: configuration.name
    properties: {
      value: configuration.value
      source: 'user-override'
    }
    dependsOn: [
      administrator
    ]
  }
]

resource database 'Microsoft.DBforPostgreSQL/flexibleServers/databases@2025-08-01' = {
  parent: server
  name: databaseName
  properties: {
    charset: 'UTF8'
    collation: 'en_US.utf8'
  }
  dependsOn: [
    configurations
  ]
}

@batchSize(1)
resource firewall 'Microsoft.DBforPostgreSQL/flexibleServers/firewallRules@2025-08-01' = [
  for rule in (privateAccess ? [] : allFirewallRules): {
    parent: server
    name: rule.name
    properties: {
      startIpAddress: rule.startIpAddress
      endIpAddress: rule.endIpAddress
    }
    dependsOn: [
      database
    ]
  }
]

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-log-analytics'
  scope: server
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

@description('Resource id of the server.')
output id string = server.id

@description('Name of the server.')
output name string = server.name

@description('Fully qualified host name of the server.')
output fqdn string = server.properties.fullyQualifiedDomainName

@description('Name of the database.')
output databaseName string = database.name

@description('Whether the server is reachable from public networks (through its firewall).')
output publicAccess bool = !privateAccess
