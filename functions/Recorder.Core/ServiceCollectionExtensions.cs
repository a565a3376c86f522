using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Recorder.Core.Alerts;
using Recorder.Core.Api;
using Recorder.Core.Data;
using Recorder.Core.Edits;
using Recorder.Core.Health;
using Recorder.Core.Imports;
using Recorder.Core.Ingest;
using Recorder.Core.Lifecycle;
using Recorder.Core.Links;
using Recorder.Core.LiveUploads;
using Recorder.Core.Media;
using Recorder.Core.Media.Remux;
using Recorder.Core.Migrations;
using Recorder.Core.Notifications;
using Recorder.Core.Partitions;
using Recorder.Core.Privacy;
using Recorder.Core.Recordings;
using Recorder.Core.Reports;
using Recorder.Core.Security;
using Recorder.Core.Sessions;
using Recorder.Core.Storage;
using Recorder.Core.Uploads;
using Recorder.Core.Uploads.Sas;

namespace Recorder.Core;

public static class ServiceCollectionExtensions
{
    /// <summary>Everything the Functions app (and the dev host, which runs the same functions) needs.</summary>
    public static IServiceCollection AddRecorderCore(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.SectionName).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.SectionName);
        services.AddOptions<PartitionOptions>().BindConfiguration(PartitionOptions.SectionName);
        services.AddOptions<RecordingsOptions>().BindConfiguration(RecordingsOptions.SectionName);
        services.AddOptions<IngestOptions>().BindConfiguration(IngestOptions.SectionName);
        services.AddOptions<ClientAddressOptions>().BindConfiguration(ClientAddressOptions.SectionName).ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);

        services.AddSingleton<RecorderDataSources>();
        services.AddHostedService<AppRoleStartupCheck>();
        services.AddSingleton(
            _ => RecordingsStorageClient.Create(configuration, RecordingsStorageClient.WithBriefRetries(new BlobClientOptions())));
        services.AddSingleton(_ =>
        {
            var options = new BlobClientOptions { Retry = { MaxRetries = 0, NetworkTimeout = TimeSpan.FromSeconds(5) } };
            return new HealthProbeStorage(RecordingsStorageClient.Create(configuration, options));
        });
        services.AddRecorderSecurity();
        services.AddBlobSasIssuer();
        services.AddMedia();
        services.AddRecordingSessions();
        services.AddRecordingLinks();
        services.AddRecordingEdits();
        services.AddRecordingLifecycle();
        services.AddLiveUploads();
        services.AddClientRecordingImport();
        services.AddRecorderAlerts();
        services.AddRecordingNotifications();
        services.AddSingleton<OperationsReports>();
        services.AddPrivacy();
        services.AddPartitionRetention();
        services.AddSingleton<SeekableRemuxer>();

        services.AddSingleton<HttpApi>();
        services.AddSingleton<HealthService>();
        services.AddSingleton<MigrationJournal>();
        services.AddSingleton<PartitionMaintenanceService>();
        services.AddSingleton<StorageQuota>();
        services.AddSingleton<UploadService>();
        services.AddSingleton<RecordingBlobs>();
        services.AddSingleton<RecordingsService>();
        services.AddSingleton<IngestQueue>();
        services.AddSingleton<IngestOutbox>();
        services.AddSingleton<IngestRecovery>();
        services.AddSingleton<DerivedBlobs>();
        services.AddSingleton<BlobEventAcceptor>();
        services.AddSingleton<MediaInspector>();
        services.AddSingleton<SeekableCopyWorker>();
        services.AddSingleton<LocalDiskBudget>();
        services.AddSingleton<UploadQuarantine>();
        services.AddSingleton<IngestWorker>();
        services.AddSingleton<EventGridWebhook>();
        return services;
    }
}
