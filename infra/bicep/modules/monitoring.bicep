// Log Analytics (the sink of every diagnostic setting), workspace-based Application Insights with
// local (instrumentation-key) authentication disabled, and the action group every alert notifies.

import { builtInRoleIds, roleAssignmentType } from 'roles.bicep'

@description('Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Name of the Application Insights component.')
param applicationInsightsName string

@description('Name of the action group that alert rules notify.')
param actionGroupName string

@description('Short name of the action group (at most 12 characters; shown in SMS and e-mail subjects).')
@maxLength(12)
param actionGroupShortName string

@description('E-mail address that receives alert notifications.')
param alertEmailAddress string

@description('Days Log Analytics keeps data (diagnostic logs, App Insights telemetry).')
@minValue(30)
@maxValue(730)
param retentionInDays int

@description('Role assignments on the Application Insights component (Monitoring Metrics Publisher for the app identity).')
param applicationInsightsRoleAssignments roleAssignmentType[] = []

@description('Azure region of the workspace and component.')
param location string

@description('Tags applied to every resource.')
param tags object

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2025-02-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    retentionInDays: retentionInDays
    sku: {
      name: 'PerGB2018'
    }
    features: {
      enableLogAccessUsingOnlyResourcePermissions: true
    }
  }
}

resource applicationInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: applicationInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
    // Telemetry is accepted only with a Microsoft Entra token (Monitoring Metrics Publisher).
    DisableLocalAuth: true
    IngestionMode: 'LogAnalytics'
  }
}

resource applicationInsightsRoleAssignmentResources 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for assignment in applicationInsightsRoleAssignments: {
    name: guid(
      applicationInsights.id,
      assignment.principalId,
      subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoleIds[assignment.roleName])
    )
    scope: applicationInsights
    properties: {
      principalId: assignment.principalId
      principalType: assignment.principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', builtInRoleIds[assignment.roleName])
      description: '${assignment.roleName} on ${applicationInsightsName}'
    }
  }
]

resource actionGroup 'Microsoft.Insights/actionGroups@2024-10-01-preview' = {
  name: actionGroupName
  location: 'global'
  tags: tags
  properties: {
    enabled: true
    groupShortName: actionGroupShortName
    emailReceivers: [
      {
        name: 'operators'
        emailAddress: alertEmailAddress
        useCommonAlertSchema: true
      }
    ]
  }
}

@description('Resource id of the Log Analytics workspace.')
output logAnalyticsWorkspaceId string = logAnalytics.id

@description('Name of the Log Analytics workspace.')
output logAnalyticsWorkspaceName string = logAnalytics.name

@description('Resource id of the Application Insights component.')
output applicationInsightsId string = applicationInsights.id

@description('Name of the Application Insights component.')
output applicationInsightsName string = applicationInsights.name

@description('Connection string of Application Insights (not a secret: ingestion also needs an Entra token).')
output applicationInsightsConnectionString string = applicationInsights.properties.ConnectionString

@description('Resource id of the action group.')
output actionGroupId string = actionGroup.id
