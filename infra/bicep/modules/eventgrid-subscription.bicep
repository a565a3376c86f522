// The Event Grid subscription that delivers the uploads container's BlobCreated events to the
// BlobCreatedWebhook function. Deployed by infra/hooks/postdeploy.sh, not by main.bicep: the webhook
// URL carries the function key, which exists only once the app runs and must not be written into a
// template or a parameters file in the repository. It arrives here as a secure parameter, so ARM
// neither logs it nor returns it (Event Grid itself returns only the endpoint's base URL).

@description('Name of the existing Event Grid system topic of the recordings storage account.')
param systemTopicName string

@description('Name of the event subscription.')
param subscriptionName string = 'recordings-uploads-blob-created'

@description('Webhook URL of BlobCreatedWebhook including its function key (?code=...).')
@secure()
param webhookUrl string

@description('Resource id of the recordings storage account (dead-letter destination).')
param storageAccountId string

@description('Container whose committed blobs are delivered.')
param uploadsContainerName string = 'recordings-uploads'

@description('Container that receives events that could not be delivered.')
param deadLetterContainerName string = 'recordings-deadletter'

@description('Delivery attempts before an event is dead-lettered (the webhook answers 503 while PostgreSQL or storage is unreachable).')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 30

@description('Minutes an undelivered event is retried before it is dead-lettered.')
@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int = 1440

resource systemTopic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: systemTopic
  name: subscriptionName
  properties: {
    eventDeliverySchema: 'EventGridSchema'
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: webhookUrl
        // One event per request: a transient failure retries only that event.
        maxEventsPerBatch: 1
        preferredBatchSizeInKilobytes: 64
        minimumTlsVersionAllowed: '1.2'
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Storage.BlobCreated'
      ]
      subjectBeginsWith: '/blobServices/default/containers/${uploadsContainerName}/'
      isSubjectCaseSensitive: true
      // Only the browser's own uploads (the webhook refuses anything else; a copy made through an upload URL
      // is never an upload, and the reconciler fails its recording).
      advancedFilters: [
        {
          operatorType: 'StringIn'
          key: 'data.api'
          values: [
            'PutBlob'
            'PutBlockList'
          ]
        }
      ]
    }
    retryPolicy: {
      maxDeliveryAttempts: maxDeliveryAttempts
      eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: storageAccountId
          blobContainerName: deadLetterContainerName
        }
      }
    }
  }
}

@description('Resource id of the event subscription.')
output id string = subscription.id
