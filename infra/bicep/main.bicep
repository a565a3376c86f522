// Recorder Functions on Azure: everything `azd up` (or `az deployment sub create`) provisions.
// Local modules in Azure Verified Modules style (registry modules cannot be restored offline here).
// No secret is written in this file or in main.parameters.json: identities and Entra tokens replace
// keys and passwords, and the two app secrets arrive as secure parameters from the azd environment.
// What is deployed after provisioning (migrations, Event Grid subscription) is in infra/hooks/ and
// docs/deploy.md.

targetScope = 'subscription'

// ---------------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------------

@description('Name of the azd environment: part of every resource name and the azd-env-name tag.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Azure region of every resource.')
@minLength(1)
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Name of the resource group to create; empty: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Object id of the deploying user or service principal (azd: AZURE_PRINCIPAL_ID). Gets Key Vault Secrets Officer so it can set and rotate the app secrets; empty grants nothing.')
param principalId string = ''

@description('Kind of the deploying principal.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param principalType string = 'User'

@description('E-mail address that receives every alert.')
@minLength(3)
param alertEmailAddress string

@description('Days Log Analytics keeps logs and telemetry.')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 90

// ---------------------------------------------------------------------------------------------
// Storage
// ---------------------------------------------------------------------------------------------

@description('Replication of the recordings account: Standard_GZRS or Standard_RAGZRS for production (zone and region redundant), Standard_LRS for a throw-away environment.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_RAGRS'
  'Standard_GZRS'
  'Standard_RAGZRS'
])
param recordingsStorageSkuName string = 'Standard_GZRS'

@description('Replication of the Functions host account (AzureWebJobsStorage: timers, keys, queue leases; no user data).')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
])
param hostStorageSkuName string = 'Standard_ZRS'

@description('Comma-separated browser origins of the recorder page, e.g. https://app.example.com. Allowed to upload to storage (CORS) and to call the API with credentials.')
param corsAllowedOrigins string = ''

@description('Days after its last modification a recording, processed copy or thumbnail moves to the cool tier.')
@minValue(1)
param coolTierAfterDays int = 30

@description('Days an export (a user\'s data download) is kept before the lifecycle policy deletes it.')
@minValue(1)
param exportsExpireAfterDays int = 7

@description('Days dead-lettered events and quarantined blobs are kept.')
@minValue(1)
param deadLetterExpireAfterDays int = 90

@description('Days a previous blob version is kept after it stops being current.')
@minValue(1)
param previousVersionsRetentionDays int = 30

@description('Days a deleted blob stays recoverable (blob soft delete).')
@minValue(1)
@maxValue(365)
param blobSoftDeleteRetentionDays int = 14

@description('Days a deleted container stays recoverable (container soft delete).')
@minValue(1)
@maxValue(365)
param containerSoftDeleteRetentionDays int = 14

@description('Days the blob change feed (a log of every blob change, for restores and audits) is kept.')
@minValue(1)
param changeFeedRetentionDays int = 90

@description('Keep a weekly backup of PostgreSQL and of the recordings containers in an Azure Backup vault for longTermBackupYears (docs/operations.md). Turn it off for throw-away environments.')
param enableLongTermBackup bool = true

@description('Years the Backup vault keeps each weekly backup: the seed\'s 7-year legal horizon (the service allows up to 10).')
@minValue(1)
@maxValue(10)
param longTermBackupYears int = 7

@description('Where the Backup vault keeps backups: GeoRedundant (paired region, cross-region restore) where offered. Settable until the first backup.')
@allowed([
  'GeoRedundant'
  'ZoneRedundant'
  'LocallyRedundant'
])
param longTermBackupRedundancy string = 'GeoRedundant'

@description('Encrypt the recordings account with a customer-managed RSA key kept in Key Vault (auto-rotated yearly) instead of a Microsoft-managed key.')
param enableCustomerManagedKey bool = false

// ---------------------------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------------------------

@description('Name of the PostgreSQL server; empty: psql-<token>. Set it to a server restored from backup to make that one the app\'s server (docs/operations.md, restore).')
param postgresServerName string = ''

@description('PostgreSQL major version. The tests run 17; 16 stays allowed for servers made before (docs/deploy.md).')
@allowed([
  '16'
  '17'
])
param postgresVersion string = '17'

@description('PostgreSQL compute size.')
param postgresSkuName string = 'Standard_D2ds_v5'

@description('PostgreSQL compute tier (zone-redundant HA needs GeneralPurpose or MemoryOptimized).')
@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param postgresSkuTier string = 'GeneralPurpose'

@description('PostgreSQL storage in GiB. It auto-grows and never shrinks: preprovision carries an existing server\'s size forward.')
@minValue(32)
param postgresStorageSizeGB int = 128

@description('Geo-redundant backups (paired region). Chosen at creation only; not offered in every region (nor with HA) there: turn off.')
param postgresGeoRedundantBackup bool = true

@description('Zone-redundant high availability for PostgreSQL (a standby in another zone; recommended for production).')
param postgresZoneRedundantHighAvailability bool = false

@description('Name of the database.')
param postgresDatabaseName string = 'recorder'

@description('Object id of the PostgreSQL Microsoft Entra administrator, who runs migrations (default: the deploying principal). A group lets several operators and CI share ownership.')
param postgresAdminObjectId string = principalId

@description('Name of the PostgreSQL Entra administrator: user principal name, group display name or application name (azd: AZURE_PRINCIPAL_NAME, set by the preprovision hook).')
@minLength(1)
param postgresAdminPrincipalName string

@description('Kind of the PostgreSQL Entra administrator.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param postgresAdminPrincipalType string = principalType

@description('TLS mode of the app\'s database connections; VerifyFull also checks the server certificate, so an Entra token is never sent to an impostor.')
@allowed([
  'Require'
  'VerifyCA'
  'VerifyFull'
])
param postgresSslMode string = 'VerifyFull'

@description('Private access: resource id of a subnet delegated to Microsoft.DBforPostgreSQL/flexibleServers. Empty: public access through the firewall.')
param postgresDelegatedSubnetId string = ''

@description('Private access: resource id of the privatelink.postgres.database.azure.com private DNS zone.')
param postgresPrivateDnsZoneId string = ''

@description('Public access: allow connections from Azure services (the Container Apps Consumption profile has no fixed outbound address). Password login is disabled either way.')
param postgresAllowAzureServices bool = true

@description('Public access: extra firewall rules, e.g. [{ name: \'office\', startIpAddress: \'203.0.113.0\', endIpAddress: \'203.0.113.255\' }].')
param postgresFirewallRules object[] = []

// ---------------------------------------------------------------------------------------------
// Functions app
// ---------------------------------------------------------------------------------------------

@description('Container image of the Functions app; azd sets it after `azd deploy` (SERVICE_FUNCTIONS_IMAGE_NAME). Empty: a placeholder until the first deploy.')
param functionsImageName string = ''

@description('vCPUs per replica. Over 1 vCPU a replica gets 8 GiB of disk (1 vCPU: 4 GiB); seekable copies need it.')
@allowed([
  '0.5'
  '1.0'
  '1.5'
  '2.0'
  '2.5'
  '3.0'
  '3.5'
  '4.0'
])
param functionsCpu string = '2.0'

@description('Memory per replica (twice the vCPUs, in GiB).')
param functionsMemory string = '4Gi'

@description('Replicas always running; at least 1: function keys, timers and the trigger sync need a running host.')
@minValue(1)
param functionsMinReplicas int = 1

@description('Most replicas scale-out may start.')
@minValue(1)
@maxValue(1000)
param functionsMaxReplicas int = 10

@description('Resource id of a subnet for the Container Apps environment (required when PostgreSQL uses private access). Empty: no virtual network.')
param containerAppsSubnetId string = ''

@description('Give the app its Key Vault references here. Off while its Key Vault grant is new: postprovision attaches them.')
param appSecretsFromKeyVault bool = true

@description('Main app\'s express-session secret (connect.sid signatures). Written to Key Vault when given; leave empty to keep what Key Vault has (rotate there: docs/operations.md).')
@secure()
param authSessionSecret string = ''

@description('HS256 secret of the main app\'s bearer tokens (32 bytes or more). Written to Key Vault when given; empty keeps what Key Vault has.')
@secure()
param authJwtHmacSecret string = ''

@description('Read the HS256 bearer-token secret from Key Vault. Turn off when the main app signs RS256 tokens and authJwtRsaPublicKeys is set.')
param enableJwtHmacSecret bool = true

@description('Where recording status events are POSTed, signed (docs/notifications.md). Empty: no webhook; the main app can still LISTEN.')
param recordingWebhookUrl string = ''

@description('HMAC-SHA256 key of the recording-events webhook signature (32 bytes or more). Written to Key Vault when given; empty keeps what Key Vault has.')
@secure()
param recordingWebhookSecret string = ''

@description('PEM public keys (RS256) of the main app\'s bearer tokens; public, so plain settings.')
param authJwtRsaPublicKeys string[] = []

@description('Required issuer (iss) of bearer tokens.')
param authJwtIssuer string

@description('Required audience (aud) of bearer tokens.')
param authJwtAudience string = 'recorder-functions'

@description('IANA time zone of the main app\'s PostgreSQL sessions (how sessions.expire is read).')
param authSessionTimeZone string = 'UTC'

@description('Name of the ingest queue (its poison queue is <name>-poison).')
param ingestQueueName string = 'recording-ingest'

@description('NCRONTAB schedule (6 fields, UTC) of the partition upkeep timer.')
param partitionMaintenanceSchedule string = '0 15 3 * * *'

@description('NCRONTAB schedule (6 fields, UTC) of the stale recording-session sweeper.')
param staleSessionSweepSchedule string = '0 */5 * * * *'

@description('NCRONTAB schedule (6 fields, UTC) of the ingest recovery sweep (sends outbox messages whose sender died after its commit; re-queues recordings whose worker died; commits live uploads whose browser went silent).')
param ingestRecoverySweepSchedule string = '30 * * * * *'

@description('NCRONTAB schedule (6 fields, UTC) of the recording lifecycle sweep (retention, abandoned uploads, unfinished deletions).')
param lifecycleSweepSchedule string = '0 30 * * * *'

@description('NCRONTAB schedule (6 fields, UTC) of the alerts check (storage, failure rates, database size).')
param alertsCheckSchedule string = '0 */10 * * * *'

@description('NCRONTAB schedule (6 fields, UTC) of the privacy sweep (expired exports, unfinished erasures).')
param privacySweepSchedule string = '0 45 * * * *'

@description('NCRONTAB schedule (6 fields, UTC) of the recording-events webhook delivery (retries, pruning).')
param recordingEventsDeliverySchedule string = '*/10 * * * * *'

@description('Name of the data-export queue (its poison queue is <name>-poison).')
param privacyExportQueueName string = 'privacy-export'

@description('Name of the erasure queue (its poison queue is <name>-poison).')
param privacyErasureQueueName string = 'privacy-erasure'

@description('Lifetime of an upload URL (hh:mm:ss).')
param sasUploadUrlLifetime string = '00:30:00'

@description('Lifetime of a read URL for media and thumbnails (hh:mm:ss).')
param sasReadUrlLifetime string = '00:15:00'

@description('Largest upload accepted, in bytes. Its seekable copy must fit the replica\'s disk budget (from functionsCpu).')
@minValue(1)
param recordingsMaxFileSizeBytes int = 5368709120

@description('Longest a seekable copy (remux, check, upload) may take (hh:mm:ss); below host.json functionTimeout.')
param seekableCopyTimeout string = '00:20:00'

@description('Seconds a live upload\'s browser may be out of contact (no heartbeat, renewal or block-list read) before the ingest recovery sweep commits what it staged. At most a day: storage discards uncommitted blocks after 7.')
@minValue(1)
@maxValue(86400)
param liveUploadSilenceTimeoutSeconds int = 120

@description('Blocks a live upload may stage; the server commits at most this many. Storage commits at most 50,000 blocks a blob.')
@minValue(1)
@maxValue(50000)
param liveUploadMaxBlocks int = 50000

@description('Silent live uploads one ingest recovery run commits; the rest wait for the next run.')
@minValue(1)
@maxValue(1000)
param liveUploadSweepBatchSize int = 100

@description('Seconds between two reads of a live upload\'s block list by the same kind of browser call (renewal, heartbeat, block read); sooner is a 429. At most half liveUploadSilenceTimeoutSeconds; 0 lets every call read.')
@minValue(0)
@maxValue(60)
param liveUploadBlockListReadIntervalSeconds int = 5

@description('Storage limit of users without a user_storage_limits row, in bytes.')
@minValue(1)
param recordingsDefaultStorageLimitBytes int = 10737418240

@description('Proxies of our own that append to X-Forwarded-For in front of the app (1: the Container Apps ingress; add one per front proxy such as Front Door). The audit log takes the client address that many entries from the right; anything further left is what the client sent.')
@minValue(0)
@maxValue(16)
param trustedProxyHops int = 1

@description('Further app settings, name to value (plain values only; secrets belong in Key Vault).')
param additionalAppSettings object = {}

@description('Seconds as the app reads a TimeSpan setting, d.h:m:s: a day written as 24:0:0 would read as 24 days.')
func timeSpanOfSeconds(seconds int) string =>
  format('{0}.{1}:{2}:{3}', seconds / 86400, seconds % 86400 / 3600, seconds % 3600 / 60, seconds % 60)

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}

// The Functions host id, pinned rather than derived by the host: function keys (blob secret storage), timer
// singleton locks and the trigger-sync hash are stored under it, so every replica and revision must share it.
// At most 32 lower-case letters, digits and single dashes: 'recorder-' and the 13-character token.
var functionsHostId = 'recorder-${resourceToken}'

// Queues a function is triggered by; the platform derives a queue scale rule for each of them.
var triggerQueueNames = [
  ingestQueueName
  '${ingestQueueName}-poison'
  privacyExportQueueName
  privacyErasureQueueName
]

// LiveUpload__BlockListReadInterval: the app refuses to start with one over half the silence timeout, so the template does.
var liveUploadBlockListReadInterval = liveUploadBlockListReadIntervalSeconds * 2 > liveUploadSilenceTimeoutSeconds
  ? fail('liveUploadBlockListReadIntervalSeconds may be at most half liveUploadSilenceTimeoutSeconds.')
  : timeSpanOfSeconds(liveUploadBlockListReadIntervalSeconds)

// Ephemeral disk of a Consumption replica by vCPUs (learn.microsoft.com/azure/container-apps/storage-mounts).
var replicaEphemeralStorageGiB = {
  '0.5': 2
  '1.0': 4
  '1.5': 8
  '2.0': 8
  '2.5': 8
  '3.0': 8
  '3.5': 8
  '4.0': 8
}

// What the seekable copies in flight on a replica may occupy together: its disk less room for the host, its logs
// and ffmpeg's own files. A recording as large as the upload limit must fit, or it would never get its copy.
var seekableCopyDiskHeadroomGiB = 2
var seekableCopyDiskBudgetGiB = replicaEphemeralStorageGiB[functionsCpu] - seekableCopyDiskHeadroomGiB
var seekableCopyDiskBudgetBytes = recordingsMaxFileSizeBytes > seekableCopyDiskBudgetGiB * 1073741824
  ? fail('recordingsMaxFileSizeBytes exceeds the seekable-copy disk of a ${functionsCpu}-vCPU replica: raise functionsCpu.')
  : seekableCopyDiskBudgetGiB * 1073741824

// Container names are settings of the app (Storage__*); these are their values.
var uploadsContainer = 'recordings-uploads'
var processedContainer = 'recordings-processed'
var thumbnailsContainer = 'recordings-thumbnails'
var exportsContainer = 'recordings-exports'
var deadLetterContainer = 'recordings-deadletter'
// The erasure ledger (docs/privacy.md): kept as long as any backup it may be replayed onto, PITR's 35 days included.
var erasureLedgerContainer = 'erasure-ledger'
var erasureLedgerImmutabilityDays = (enableLongTermBackup ? longTermBackupYears * 366 : 0) + 35

var corsOrigins = filter(map(split(corsAllowedOrigins, ','), origin => trim(origin)), origin => !empty(origin))

// Key Vault secret names, and the Container Apps secrets that reference them.
var sessionSecretNames = [
  'auth-session-secret-0'
  'auth-session-secret-1'
]
var jwtHmacSecretName = 'auth-jwt-hmac-secret'
var webhookSecretKeyVaultName = 'recording-webhook-secret'
var enableRecordingWebhook = !empty(recordingWebhookUrl)

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: empty(resourceGroupName) ? '${abbrs.resourcesResourceGroups}${environmentName}' : resourceGroupName
  location: location
  tags: tags
}

// ---------------------------------------------------------------------------------------------
// Identity and monitoring
// ---------------------------------------------------------------------------------------------

module appIdentity 'modules/identity.bicep' = {
  name: 'app-identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}recorder-${resourceToken}'
    location: location
    tags: tags
  }
}

module encryptionIdentity 'modules/identity.bicep' = if (enableCustomerManagedKey) {
  name: 'encryption-identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}storage-cmk-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: '${abbrs.insightsComponents}${resourceToken}'
    actionGroupName: '${abbrs.insightsActionGroups}${resourceToken}'
    actionGroupShortName: 'recorder'
    alertEmailAddress: alertEmailAddress
    retentionInDays: logRetentionInDays
    location: location
    tags: tags
    applicationInsightsRoleAssignments: [
      {
        principalId: appIdentity.outputs.principalId
        roleName: 'Monitoring Metrics Publisher'
        principalType: 'ServicePrincipal'
      }
    ]
  }
}

// ---------------------------------------------------------------------------------------------
// Key Vault
// ---------------------------------------------------------------------------------------------

module keyVault 'modules/key-vault.bicep' = {
  name: 'key-vault'
  scope: rg
  params: {
    name: '${abbrs.keyVaultVaults}${resourceToken}'
    location: location
    tags: tags
    // Both session-secret slots start equal; rotation fills slot 1 first (docs/operations.md).
    secretValues: {
      'auth-session-secret-0': authSessionSecret
      'auth-session-secret-1': authSessionSecret
      'auth-jwt-hmac-secret': enableJwtHmacSecret ? authJwtHmacSecret : ''
      'recording-webhook-secret': enableRecordingWebhook ? recordingWebhookSecret : ''
    }
    encryptionKeyName: enableCustomerManagedKey ? 'recordings-storage-cmk' : ''
    encryptionKeyUserPrincipalId: enableCustomerManagedKey ? encryptionIdentity!.outputs.principalId : ''
    roleAssignments: concat(
      [
        {
          principalId: appIdentity.outputs.principalId
          roleName: 'Key Vault Secrets User'
          principalType: 'ServicePrincipal'
        }
      ],
      empty(principalId)
        ? []
        : [
            {
              principalId: principalId
              roleName: 'Key Vault Secrets Officer'
              principalType: principalType
            }
          ]
    )
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

// ---------------------------------------------------------------------------------------------
// Storage
// ---------------------------------------------------------------------------------------------

module recordingsStorage 'modules/storage-account.bicep' = {
  name: 'recordings-storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}${resourceToken}'
    location: location
    tags: tags
    skuName: recordingsStorageSkuName
    containerNames: [
      uploadsContainer
      processedContainer
      thumbnailsContainer
      exportsContainer
      deadLetterContainer
    ]
    immutableContainers: [
      {
        name: erasureLedgerContainer
        immutabilityPeriodDays: erasureLedgerImmutabilityDays
      }
    ]
    queueNames: [
      ingestQueueName
      '${ingestQueueName}-poison'
      privacyExportQueueName
      '${privacyExportQueueName}-poison'
      privacyErasureQueueName
      '${privacyErasureQueueName}-poison'
    ]
    corsAllowedOrigins: corsOrigins
    blobSoftDeleteRetentionDays: blobSoftDeleteRetentionDays
    containerSoftDeleteRetentionDays: containerSoftDeleteRetentionDays
    enableVersioning: true
    changeFeedRetentionDays: changeFeedRetentionDays
    lifecycleRules: [
      {
        name: 'cool-recordings'
        enabled: true
        type: 'Lifecycle'
        definition: {
          filters: {
            blobTypes: [
              'blockBlob'
            ]
            prefixMatch: [
              '${uploadsContainer}/'
              '${processedContainer}/'
              '${thumbnailsContainer}/'
            ]
          }
          actions: {
            baseBlob: {
              tierToCool: {
                daysAfterModificationGreaterThan: coolTierAfterDays
              }
            }
            version: {
              delete: {
                daysAfterCreationGreaterThan: previousVersionsRetentionDays
              }
            }
          }
        }
      }
      {
        name: 'expire-exports'
        enabled: true
        type: 'Lifecycle'
        definition: {
          filters: {
            blobTypes: [
              'blockBlob'
            ]
            prefixMatch: [
              '${exportsContainer}/'
            ]
          }
          actions: {
            baseBlob: {
              delete: {
                daysAfterModificationGreaterThan: exportsExpireAfterDays
              }
            }
            version: {
              delete: {
                daysAfterCreationGreaterThan: 1
              }
            }
          }
        }
      }
      {
        // An entry outlives every backup it may be replayed onto, then goes (its immutability has run out).
        name: 'expire-erasure-ledger'
        enabled: true
        type: 'Lifecycle'
        definition: {
          filters: {
            blobTypes: [
              'blockBlob'
            ]
            prefixMatch: [
              '${erasureLedgerContainer}/'
            ]
          }
          actions: {
            baseBlob: {
              delete: {
                daysAfterCreationGreaterThan: erasureLedgerImmutabilityDays
              }
            }
          }
        }
      }
      {
        name: 'expire-dead-letters'
        enabled: true
        type: 'Lifecycle'
        definition: {
          filters: {
            blobTypes: [
              'blockBlob'
              'appendBlob'
            ]
            prefixMatch: [
              '${deadLetterContainer}/'
            ]
          }
          actions: {
            baseBlob: {
              delete: {
                daysAfterModificationGreaterThan: deadLetterExpireAfterDays
              }
            }
          }
        }
      }
    ]
    customerManagedKey: enableCustomerManagedKey
      ? {
          keyVaultUri: keyVault.outputs.uri
          keyName: keyVault.outputs.encryptionKeyName
          userAssignedIdentityId: encryptionIdentity!.outputs.id
        }
      : null
    // Upload URLs are user delegation SAS tokens (Blob Delegator) with Write permission, signed for
    // the app's identity, which must itself be able to write, read and delete blobs.
    roleAssignments: concat(
      [
        {
          principalId: appIdentity.outputs.principalId
          roleName: 'Storage Blob Data Contributor'
          principalType: 'ServicePrincipal'
        }
        {
          principalId: appIdentity.outputs.principalId
          roleName: 'Storage Blob Delegator'
          principalType: 'ServicePrincipal'
        }
        {
          principalId: appIdentity.outputs.principalId
          roleName: 'Storage Queue Data Contributor'
          principalType: 'ServicePrincipal'
        }
      ],
      // The deployer replays the erasure ledger after a restore (postprovision): it reads the ledger, deletes blobs.
      empty(principalId)
        ? []
        : [
            {
              principalId: principalId
              roleName: 'Storage Blob Data Contributor'
              principalType: principalType
            }
          ]
    )
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

module hostStorage 'modules/storage-account.bicep' = {
  name: 'host-storage'
  scope: rg
  params: {
    name: '${abbrs.storageStorageAccounts}fn${resourceToken}'
    location: location
    tags: tags
    skuName: hostStorageSkuName
    containerNames: []
    blobSoftDeleteRetentionDays: 7
    containerSoftDeleteRetentionDays: 7
    enableVersioning: false
    // The Functions host keeps timer schedules, singleton locks and (AzureWebJobsSecretStorageType
    // = blob) the function keys here.
    roleAssignments: concat(
      [
        {
          principalId: appIdentity.outputs.principalId
          roleName: 'Storage Blob Data Owner'
          principalType: 'ServicePrincipal'
        }
        {
          principalId: appIdentity.outputs.principalId
          roleName: 'Storage Queue Data Contributor'
          principalType: 'ServicePrincipal'
        }
        {
          principalId: appIdentity.outputs.principalId
          roleName: 'Storage Table Data Contributor'
          principalType: 'ServicePrincipal'
        }
      ],
      // The deployer deletes the trigger-sync hash when the queue scale rules went missing
      // (infra/hooks/verify-scale-rules.sh), so the restarted host registers them again.
      empty(principalId)
        ? []
        : [
            {
              principalId: principalId
              roleName: 'Storage Blob Data Contributor'
              principalType: principalType
            }
          ]
    )
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

module eventGrid 'modules/eventgrid-system-topic.bicep' = {
  name: 'eventgrid-system-topic'
  scope: rg
  params: {
    name: '${abbrs.eventGridDomainsTopics}recordings-${resourceToken}'
    location: location
    tags: tags
    storageAccountName: recordingsStorage.outputs.name
    deadLetterContainerName: deadLetterContainer
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------------------------

// Refused when the deployment is validated, before anything deploys: the Burstable tier offers no high availability.
var postgresHighAvailability = postgresZoneRedundantHighAvailability && postgresSkuTier == 'Burstable'
  ? fail('Zone-redundant high availability needs the GeneralPurpose or MemoryOptimized tier, not Burstable.')
  : postgresZoneRedundantHighAvailability

module postgres 'modules/postgres.bicep' = {
  name: 'postgres'
  scope: rg
  params: {
    name: empty(postgresServerName) ? '${abbrs.dBforPostgreSQLServers}${resourceToken}' : postgresServerName
    location: location
    tags: tags
    version: postgresVersion
    skuName: postgresSkuName
    skuTier: postgresSkuTier
    storageSizeGB: postgresStorageSizeGB
    geoRedundantBackup: postgresGeoRedundantBackup
    zoneRedundantHighAvailability: postgresHighAvailability
    databaseName: postgresDatabaseName
    administratorObjectId: postgresAdminObjectId
    administratorPrincipalName: postgresAdminPrincipalName
    administratorPrincipalType: postgresAdminPrincipalType
    delegatedSubnetResourceId: postgresDelegatedSubnetId
    privateDnsZoneResourceId: postgresPrivateDnsZoneId
    allowAzureServices: postgresAllowAzureServices
    firewallRules: [
      for rule in postgresFirewallRules: {
        name: rule.name
        startIpAddress: rule.startIpAddress
        endIpAddress: rule.endIpAddress
      }
    ]
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

// ---------------------------------------------------------------------------------------------
// Long-term backups
// ---------------------------------------------------------------------------------------------

// Exports (7 days) and dead letters (90 days) expire long before; the erasure ledger is immutable itself.
module backupVault 'modules/backup-vault.bicep' = if (enableLongTermBackup) {
  name: 'backup-vault'
  scope: rg
  params: {
    name: '${abbrs.dataProtectionBackupVaults}${resourceToken}'
    location: location
    tags: tags
    redundancy: longTermBackupRedundancy
    retentionYears: longTermBackupYears
    postgresServerName: postgres.outputs.name
    storageAccountName: recordingsStorage.outputs.name
    containerNames: [
      uploadsContainer
      processedContainer
      thumbnailsContainer
    ]
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

// ---------------------------------------------------------------------------------------------
// Functions app settings
// ---------------------------------------------------------------------------------------------

// The app logs in to PostgreSQL as its identity's Entra principal (a role named after the identity,
// created by the migration step) and switches to the database role per pool with the startup
// option `-c role=…`; the token replaces a password (Database__UseEntraAuthentication).
var databaseConnectionBase = 'Host=${postgres.outputs.fqdn};Port=5432;Database=${postgresDatabaseName};Username=${appIdentity.outputs.name};Ssl Mode=${postgresSslMode}'

var identitySettings = [
  {
    name: 'AZURE_CLIENT_ID'
    value: appIdentity.outputs.clientId
  }
]

var hostSettings = [
  {
    name: 'FUNCTIONS_WORKER_RUNTIME'
    value: 'dotnet-isolated'
  }
  {
    name: 'AzureFunctionsWebHost__hostid'
    value: functionsHostId
  }
  {
    name: 'AzureWebJobsStorage__blobServiceUri'
    value: hostStorage.outputs.blobEndpoint
  }
  {
    name: 'AzureWebJobsStorage__queueServiceUri'
    value: hostStorage.outputs.queueEndpoint
  }
  {
    name: 'AzureWebJobsStorage__tableServiceUri'
    value: hostStorage.outputs.tableEndpoint
  }
  {
    name: 'AzureWebJobsStorage__credential'
    value: 'managedidentity'
  }
  {
    name: 'AzureWebJobsStorage__clientId'
    value: appIdentity.outputs.clientId
  }
  {
    // Function keys survive restarts and new revisions (the default, files, loses them on
    // Container Apps), and a re-provision does not touch them.
    name: 'AzureWebJobsSecretStorageType'
    value: 'blob'
  }
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    value: monitoring.outputs.applicationInsightsConnectionString
  }
  {
    name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
    value: 'Authorization=AAD;ClientId=${appIdentity.outputs.clientId}'
  }
]

var storageSettings = [
  {
    name: 'RecordingsStorage__blobServiceUri'
    value: recordingsStorage.outputs.blobEndpoint
  }
  {
    name: 'RecordingsStorage__queueServiceUri'
    value: recordingsStorage.outputs.queueEndpoint
  }
  {
    name: 'RecordingsStorage__credential'
    value: 'managedidentity'
  }
  {
    name: 'RecordingsStorage__clientId'
    value: appIdentity.outputs.clientId
  }
  {
    name: 'Storage__UploadsContainer'
    value: uploadsContainer
  }
  {
    name: 'Storage__ProcessedContainer'
    value: processedContainer
  }
  {
    name: 'Storage__ThumbnailsContainer'
    value: thumbnailsContainer
  }
  {
    name: 'Storage__ExportsContainer'
    value: exportsContainer
  }
  {
    name: 'Storage__DeadLetterContainer'
    value: deadLetterContainer
  }
  {
    name: 'Storage__ErasureLedgerContainer'
    value: erasureLedgerContainer
  }
  {
    name: 'IngestQueueName'
    value: ingestQueueName
  }
  {
    name: 'PrivacyExportQueueName'
    value: privacyExportQueueName
  }
  {
    name: 'PrivacyErasureQueueName'
    value: privacyErasureQueueName
  }
  {
    name: 'Ingest__StorageAccountTopic'
    value: recordingsStorage.outputs.id
  }
]

var databaseSettings = [
  {
    name: 'Database__AppConnectionString'
    value: '${databaseConnectionBase};Options=-c role=recorder_app'
  }
  {
    name: 'Database__MaintenanceConnectionString'
    value: '${databaseConnectionBase};Options=-c role=recorder_maintenance'
  }
  {
    name: 'Database__UseEntraAuthentication'
    value: 'true'
  }
  {
    name: 'Database__ManagedIdentityClientId'
    value: appIdentity.outputs.clientId
  }
]

var sessionSecretSettings = [
  for (secretName, i) in sessionSecretNames: {
    name: 'Auth__SessionSecrets__${i}'
    secretRef: secretName
  }
]

var jwtRsaKeySettings = [
  for (key, i) in authJwtRsaPublicKeys: {
    name: 'Auth__Jwt__RsaPublicKeys__${i}'
    value: key
  }
]

// The app settings backed by Key Vault references (Container Apps secrets of the same names).
var keyVaultSecretSettings = concat(
  sessionSecretSettings,
  enableJwtHmacSecret
    ? [
        {
          name: 'Auth__Jwt__HmacSecret'
          secretRef: jwtHmacSecretName
        }
      ]
    : [],
  enableRecordingWebhook
    ? [
        {
          name: 'Webhooks__Secret'
          secretRef: webhookSecretKeyVaultName
        }
      ]
    : []
)

var authSettings = concat(
  appSecretsFromKeyVault ? keyVaultSecretSettings : [],
  jwtRsaKeySettings,
  [
    {
      name: 'Auth__Jwt__Issuer'
      value: authJwtIssuer
    }
    {
      name: 'Auth__Jwt__Audience'
      value: authJwtAudience
    }
    {
      name: 'Auth__SessionTimeZone'
      value: authSessionTimeZone
    }
  ]
)

var corsSettings = [
  for (origin, i) in corsOrigins: {
    name: 'Cors__AllowedOrigins__${i}'
    value: origin
  }
]

// No URL, no setting: the delivery then only prunes (docs/notifications.md).
var recordingWebhookSettings = enableRecordingWebhook
  ? [
      {
        name: 'Webhooks__Url'
        value: recordingWebhookUrl
      }
    ]
  : []

var behaviourSettings = concat(
  [
    {
      name: 'PartitionMaintenanceSchedule'
      value: partitionMaintenanceSchedule
    }
    {
      name: 'StaleSessionSweepSchedule'
      value: staleSessionSweepSchedule
    }
    {
      name: 'LifecycleSweepSchedule'
      value: lifecycleSweepSchedule
    }
    {
      name: 'IngestRecoverySweepSchedule'
      value: ingestRecoverySweepSchedule
    }
    {
      name: 'AlertsCheckSchedule'
      value: alertsCheckSchedule
    }
    {
      // The alerts check's disk budget: the server's provisioned storage (GiB to bytes).
      name: 'Alerts__DatabaseSizeBudgetBytes'
      value: string(postgresStorageSizeGB * 1073741824)
    }
    {
      name: 'PrivacySweepSchedule'
      value: privacySweepSchedule
    }
    {
      name: 'RecordingEventsDeliverySchedule'
      value: recordingEventsDeliverySchedule
    }
    {
      // The privacy sweep deletes exports at this age; the storage lifecycle rule (same days) is the backstop.
      name: 'Privacy__ExportLifetime'
      value: '${exportsExpireAfterDays}.00:00:00'
    }
    {
      name: 'Sas__UploadUrlLifetime'
      value: sasUploadUrlLifetime
    }
    {
      name: 'Sas__ReadUrlLifetime'
      value: sasReadUrlLifetime
    }
    {
      name: 'Recordings__MaxFileSizeBytes'
      value: string(recordingsMaxFileSizeBytes)
    }
    {
      name: 'Ingest__SeekableCopyDiskBudgetBytes'
      value: string(seekableCopyDiskBudgetBytes)
    }
    {
      name: 'Ingest__SeekableCopyTimeout'
      value: seekableCopyTimeout
    }
    {
      name: 'LiveUpload__SilenceTimeout'
      value: timeSpanOfSeconds(liveUploadSilenceTimeoutSeconds)
    }
    {
      name: 'LiveUpload__MaxBlocks'
      value: string(liveUploadMaxBlocks)
    }
    {
      name: 'LiveUpload__SweepBatchSize'
      value: string(liveUploadSweepBatchSize)
    }
    {
      name: 'LiveUpload__BlockListReadInterval'
      value: liveUploadBlockListReadInterval
    }
    {
      name: 'Recordings__DefaultStorageLimitBytes'
      value: string(recordingsDefaultStorageLimitBytes)
    }
    {
      name: 'Http__TrustedProxyHops'
      value: string(trustedProxyHops)
    }
  ],
  map(items(additionalAppSettings), setting => {
    name: setting.key
    value: string(setting.value)
  })
)

var keyVaultSecretReferences = map(
  concat(
    sessionSecretNames,
    enableJwtHmacSecret ? [jwtHmacSecretName] : [],
    enableRecordingWebhook ? [webhookSecretKeyVaultName] : []
  ),
  secretName => {
    name: secretName
    keyVaultUrl: '${keyVault.outputs.uri}secrets/${secretName}'
  }
)

// While the identity's Key Vault grant is new, the postprovision hook attaches these instead (appSecretsFromKeyVault).
var functionsKeyVaultSecrets = appSecretsFromKeyVault ? keyVaultSecretReferences : []

// ---------------------------------------------------------------------------------------------
// Compute
// ---------------------------------------------------------------------------------------------

module functionsApp 'modules/container-apps.bicep' = {
  name: 'functions-app'
  scope: rg
  params: {
    environmentName: '${abbrs.appManagedEnvironments}${resourceToken}'
    registryName: '${abbrs.containerRegistryRegistries}${resourceToken}'
    appName: '${abbrs.appContainerApps}recorder-${resourceToken}'
    location: location
    tags: tags
    identityId: appIdentity.outputs.id
    identityPrincipalId: appIdentity.outputs.principalId
    image: functionsImageName
    cpu: functionsCpu
    memory: functionsMemory
    minReplicas: functionsMinReplicas
    maxReplicas: functionsMaxReplicas
    corsAllowedOrigins: corsOrigins
    environmentVariables: concat(
      identitySettings,
      hostSettings,
      storageSettings,
      databaseSettings,
      authSettings,
      corsSettings,
      recordingWebhookSettings,
      behaviourSettings
    )
    keyVaultSecrets: functionsKeyVaultSecrets
    infrastructureSubnetId: containerAppsSubnetId
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    namePrefix: '${abbrs.insightsMetricAlerts}recorder-${resourceToken}'
    location: location
    tags: tags
    actionGroupId: monitoring.outputs.actionGroupId
    applicationInsightsId: monitoring.outputs.applicationInsightsId
    eventGridSystemTopicId: eventGrid.outputs.id
    postgresServerId: postgres.outputs.id
  }
}

// ---------------------------------------------------------------------------------------------
// Outputs (azd writes them into the environment; the hooks read them)
// ---------------------------------------------------------------------------------------------

@description('Azure region of the deployment.')
output AZURE_LOCATION string = location

@description('Microsoft Entra tenant of the deployment.')
output AZURE_TENANT_ID string = tenant().tenantId

@description('Name of the resource group.')
output AZURE_RESOURCE_GROUP string = rg.name

@description('Login server of the container registry the deploy step builds the image in.')
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = functionsApp.outputs.registryLoginServer

@description('Name of the Container Apps environment.')
output AZURE_CONTAINER_APPS_ENVIRONMENT_NAME string = functionsApp.outputs.environmentName

@description('Name of the Functions container app.')
output SERVICE_FUNCTIONS_NAME string = functionsApp.outputs.appName

@description('Public base URL of the Functions app.')
output SERVICE_FUNCTIONS_URI string = 'https://${functionsApp.outputs.appFqdn}'

@description('Name of the app\'s managed identity; also its PostgreSQL login (role) name.')
output APP_IDENTITY_NAME string = appIdentity.outputs.name

@description('Resource id of the app\'s managed identity (the Key Vault references resolve with it).')
output APP_IDENTITY_ID string = appIdentity.outputs.id

@description('The app\'s Key Vault references: Container Apps secret name and versionless secret URI (no values).')
output APP_KEY_VAULT_REFERENCES object[] = keyVaultSecretReferences

@description('The app settings those references back: setting name and secretRef.')
output APP_KEY_VAULT_SETTINGS object[] = keyVaultSecretSettings

@description('Functions host id of the app (the trigger-sync hash lives under synctriggers/<id>/ in the host storage).')
output FUNCTIONS_HOST_ID string = functionsHostId

@description('Queues a function is triggered by: each must have a queue scale rule.')
output FUNCTIONS_TRIGGER_QUEUES string[] = triggerQueueNames

@description('Name of the Functions host storage account (AzureWebJobsStorage).')
output HOST_STORAGE_ACCOUNT_NAME string = hostStorage.outputs.name

@description('Object id of the app\'s managed identity (the PostgreSQL principal mapping uses it).')
output APP_IDENTITY_PRINCIPAL_ID string = appIdentity.outputs.principalId

@description('Client id of the app\'s managed identity.')
output APP_IDENTITY_CLIENT_ID string = appIdentity.outputs.clientId

@description('Name of the recordings storage account.')
output RECORDINGS_STORAGE_ACCOUNT_NAME string = recordingsStorage.outputs.name

@description('Resource id of the recordings storage account (the topic of its Event Grid events).')
output RECORDINGS_STORAGE_ACCOUNT_ID string = recordingsStorage.outputs.id

@description('Container browsers upload to; the Event Grid subscription watches it.')
output RECORDINGS_UPLOADS_CONTAINER string = uploadsContainer

@description('Container receiving dead-lettered events.')
output RECORDINGS_DEADLETTER_CONTAINER string = deadLetterContainer

@description('Container of the erasure ledger (immutable; replayed after a restore by `recorder replay-erasures`).')
output ERASURE_LEDGER_CONTAINER string = erasureLedgerContainer

@description('Name of the Backup vault keeping the long-term backups; empty when enableLongTermBackup is off.')
output BACKUP_VAULT_NAME string = enableLongTermBackup ? backupVault!.outputs.name : ''

@description('Name of the Event Grid system topic the postdeploy hook subscribes to.')
output EVENTGRID_SYSTEM_TOPIC_NAME string = eventGrid.outputs.name

@description('Name of the PostgreSQL server.')
output POSTGRES_SERVER_NAME string = postgres.outputs.name

@description('Host name of the PostgreSQL server.')
output POSTGRES_HOST string = postgres.outputs.fqdn

@description('Name of the database.')
output POSTGRES_DATABASE_NAME string = postgres.outputs.databaseName

@description('PostgreSQL Entra administrator the migration step logs in as.')
output POSTGRES_ADMIN_PRINCIPAL_NAME string = postgresAdminPrincipalName

@description('Whether PostgreSQL is reachable through its public firewall (the postprovision hook opens it for itself) or only privately.')
output POSTGRES_PUBLIC_ACCESS bool = postgres.outputs.publicAccess

@description('Name of the Key Vault holding the app secrets.')
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name

@description('URI of the Key Vault.')
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.uri

@description('Name of the Application Insights component.')
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName

@description('Name of the Log Analytics workspace.')
output LOG_ANALYTICS_WORKSPACE_NAME string = monitoring.outputs.logAnalyticsWorkspaceName

@description('Names of the alert rules.')
output ALERT_RULE_NAMES string[] = alerts.outputs.alertRuleNames
