// Alert rules, all notifying one action group: failing function executions, recordings whose ingest
// message reached the poison queue, recording events the webhook gave up on, Event Grid events
// dead-lettered or dropped, PostgreSQL CPU and storage at or above a threshold (85 % by default).

@description('Prefix of the alert rule names.')
param namePrefix string

@description('Azure region for log (scheduled query) alerts; metric alerts are global.')
param location string

@description('Tags applied to every alert rule.')
param tags object

@description('Resource id of the action group to notify.')
param actionGroupId string

@description('Resource id of the Application Insights component of the Functions app.')
param applicationInsightsId string

@description('Resource id of the Event Grid system topic of the recordings storage account.')
param eventGridSystemTopicId string

@description('Resource id of the PostgreSQL Flexible Server.')
param postgresServerId string

@description('Failed function executions (HTTP 5xx, exceptions) in 15 minutes that raise an alert.')
@minValue(1)
param functionFailureThreshold int = 5

@description('PostgreSQL CPU percentage (15-minute average) at or above which an alert fires.')
@minValue(1)
@maxValue(100)
param postgresCpuPercentThreshold int = 85

@description('PostgreSQL storage used, in percent, at or above which an alert fires.')
@minValue(1)
@maxValue(100)
param postgresStoragePercentThreshold int = 85

var metricAlerts = [
  {
    name: '${namePrefix}-function-failures'
    description: 'Function executions are failing (HTTP 5xx or unhandled exceptions) on the Functions app.'
    severity: 2
    scope: applicationInsightsId
    metricNamespace: 'microsoft.insights/components'
    metricName: 'requests/failed'
    timeAggregation: 'Count'
    operator: 'GreaterThanOrEqual'
    threshold: functionFailureThreshold
  }
  {
    name: '${namePrefix}-eventgrid-dead-lettered'
    description: 'Event Grid dead-lettered BlobCreated events: uploads that were never ingested (see the dead-letter container).'
    severity: 1
    scope: eventGridSystemTopicId
    metricNamespace: 'Microsoft.EventGrid/systemTopics'
    metricName: 'DeadLetteredCount'
    timeAggregation: 'Total'
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: '${namePrefix}-eventgrid-dropped'
    description: 'Event Grid dropped BlobCreated events (could not deliver nor dead-letter them).'
    severity: 1
    scope: eventGridSystemTopicId
    metricNamespace: 'Microsoft.EventGrid/systemTopics'
    metricName: 'DroppedEventCount'
    timeAggregation: 'Total'
    operator: 'GreaterThan'
    threshold: 0
  }
  {
    name: '${namePrefix}-postgres-cpu'
    description: 'PostgreSQL CPU at or above ${postgresCpuPercentThreshold} % for 15 minutes.'
    severity: 2
    scope: postgresServerId
    metricNamespace: 'Microsoft.DBforPostgreSQL/flexibleServers'
    metricName: 'cpu_percent'
    timeAggregation: 'Average'
    operator: 'GreaterThanOrEqual'
    threshold: postgresCpuPercentThreshold
  }
  {
    name: '${namePrefix}-postgres-storage'
    description: 'PostgreSQL storage at or above ${postgresStoragePercentThreshold} % of the provisioned size.'
    severity: 1
    scope: postgresServerId
    metricNamespace: 'Microsoft.DBforPostgreSQL/flexibleServers'
    metricName: 'storage_percent'
    timeAggregation: 'Maximum'
    operator: 'GreaterThanOrEqual'
    threshold: postgresStoragePercentThreshold
  }
]

resource metricAlertRules 'Microsoft.Insights/metricAlerts@2024-03-01-preview' = [
  for alert in metricAlerts: {
    name: alert.name
    location: 'global'
    tags: tags
    properties: {
      description: alert.description
      severity: alert.severity
      enabled: true
      scopes: [
        alert.scope
      ]
      evaluationFrequency: 'PT5M'
      windowSize: 'PT15M'
      autoMitigate: true
      criteria: {
        'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
        allOf: [
          {
            criterionType: 'StaticThresholdCriterion'
            name: alert.metricName
            metricNamespace: alert.metricNamespace
            metricName: alert.metricName
            timeAggregation: alert.timeAggregation
            operator: alert.operator
            threshold: alert.threshold
          }
        ]
      }
      actions: [
        {
          actionGroupId: actionGroupId
        }
      ]
    }
  }
]

// A recording whose ingest message failed every retry lands in the poison queue, where the
// IngestPoison function marks it failed (processing_failed). Each such execution is worth a look.
resource poisonedIngestAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-ingest-poisoned'
  location: location
  tags: tags
  properties: {
    description: 'Recordings failed ingest after every retry (IngestPoison ran): check exceptions and the poison queue.'
    displayName: '${namePrefix}-ingest-poisoned'
    severity: 2
    enabled: true
    scopes: [
      applicationInsightsId
    ]
    evaluationFrequency: 'PT5M'
    windowSize: 'PT15M'
    autoMitigate: true
    criteria: {
      allOf: [
        {
          query: 'requests | where operation_Name == "IngestPoison"'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: [
        actionGroupId
      ]
    }
  }
}

// The recording-events webhook gave up on events it could not deliver within Webhooks__GiveUpAfter: the main app
// missed those status changes (docs/notifications.md). The delivery logs an error naming how many.
resource abandonedRecordingEventsAlert 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = {
  name: '${namePrefix}-recording-events-abandoned'
  location: location
  tags: tags
  properties: {
    description: 'The recording-events webhook gave up on events (receiver down or refusing them): see recording_events.abandoned_at.'
    displayName: '${namePrefix}-recording-events-abandoned'
    severity: 2
    enabled: true
    scopes: [
      applicationInsightsId
    ]
    evaluationFrequency: 'PT15M'
    windowSize: 'PT15M'
    autoMitigate: true
    criteria: {
      allOf: [
        {
          query: 'traces | where severityLevel >= 3 and message startswith "Recording webhook gave up"'
          timeAggregation: 'Count'
          operator: 'GreaterThan'
          threshold: 0
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: [
        actionGroupId
      ]
    }
  }
}

@description('Names of every alert rule created.')
output alertRuleNames string[] = concat(
  map(metricAlerts, alert => alert.name),
  [poisonedIngestAlert.name, abandonedRecordingEventsAlert.name]
)
