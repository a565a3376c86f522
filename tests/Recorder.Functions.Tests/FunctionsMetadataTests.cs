using System.Text.Json;
using System.Text.RegularExpressions;
using Recorder.Core.Configuration;
using Recorder.Testing;
using Xunit;

namespace Recorder.Functions.Tests;

/// <summary>
/// functions.metadata is what the Azure Functions host loads: the list is checked as built, not
/// assumed from the source, and every setting a trigger names must exist in the sample settings.
/// </summary>
public sealed partial class FunctionsMetadataTests
{
    private static readonly string MetadataPath = Path.Combine(TestEnvironment.ProjectOutput("Recorder.Functions"), "functions.metadata");

    [Fact]
    public void The_build_declares_exactly_the_apps_functions()
    {
        var declared = ReadFunctions().Select(Describe).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(
            [
                "AlertsCheck: timerTrigger %AlertsCheckSchedule%",
                "BlobCreatedWebhook: httpTrigger Function POST,OPTIONS events/blob-created",
                "BuildPrivacyExport: queueTrigger %PrivacyExportQueueName% RecordingsStorage",
                "CompleteRecordingSession: httpTrigger Anonymous POST recording-sessions/{id}/complete",
                "CreateRecordingAiTask: httpTrigger Anonymous POST recordings/{id}/ai-tasks",
                "CreateRecordingContent: httpTrigger Anonymous POST recordings/{id}/content",
                "CreateRecordingEdit: httpTrigger Anonymous POST recordings/{id}/edits",
                "CreateRecordingSession: httpTrigger Anonymous POST recording-sessions",
                "CreateRecordingSocialPost: httpTrigger Anonymous POST recordings/{id}/social-posts",
                "CreateUpload: httpTrigger Anonymous POST recordings/uploads",
                "DeleteRecording: httpTrigger Anonymous DELETE recordings/{id}",
                "EraseRecordingsData: httpTrigger Anonymous DELETE me/recordings-data",
                "GetErasure: httpTrigger Anonymous GET me/erasures/{id}",
                "GetExport: httpTrigger Anonymous GET me/exports/{id}",
                "GetRecording: httpTrigger Anonymous GET recordings/{id}",
                "GetRecordingSession: httpTrigger Anonymous GET recording-sessions/{id:long}",
                "GetRecordingSessionStats: httpTrigger Anonymous GET recording-sessions/stats",
                "GetStorageUsage: httpTrigger Anonymous GET me/storage",
                "GetUpload: httpTrigger Anonymous GET recordings/{id}/upload",
                "Health: httpTrigger Anonymous GET health",
                "HeartbeatRecordingSession: httpTrigger Anonymous POST recording-sessions/{id}/heartbeat",
                "IngestPoison: queueTrigger %IngestQueueName%-poison RecordingsStorage",
                "IngestRecording: queueTrigger %IngestQueueName% RecordingsStorage",
                "IngestRecoverySweep: timerTrigger %IngestRecoverySweepSchedule%",
                "InterruptRecordingSession: httpTrigger Anonymous POST recording-sessions/{id}/interrupt",
                "LifecycleSweep: timerTrigger %LifecycleSweepSchedule%",
                "ListProjectRecordings: httpTrigger Anonymous GET projects/{projectId}/recordings",
                "ListRecordingAiTasks: httpTrigger Anonymous GET recordings/{id}/ai-tasks",
                "ListRecordingEdits: httpTrigger Anonymous GET recordings/{id}/edits",
                "ListRecordingSessions: httpTrigger Anonymous GET recording-sessions",
                "ListRecordings: httpTrigger Anonymous GET recordings",
                "PartitionMaintenance: timerTrigger %PartitionMaintenanceSchedule%",
                "PrivacySweep: timerTrigger %PrivacySweepSchedule%",
                "RecordingEventsDelivery: timerTrigger %RecordingEventsDeliverySchedule%",
                "RedoRecordingEdit: httpTrigger Anonymous POST recordings/{id}/edits/redo",
                "RenewUploadUrl: httpTrigger Anonymous POST recordings/{id}/upload-url",
                "RequestExport: httpTrigger Anonymous POST me/export",
                "RunPrivacyErasure: queueTrigger %PrivacyErasureQueueName% RecordingsStorage",
                "SchemaStatus: httpTrigger Function GET ops/schema",
                "StaleSessionSweep: timerTrigger %StaleSessionSweepSchedule%",
                "UndoRecordingEdit: httpTrigger Anonymous POST recordings/{id}/edits/undo",
                "UpdateRecording: httpTrigger Anonymous PATCH recordings/{id}",
            ],
            declared);
    }

    [Fact]
    public void Every_setting_a_trigger_names_is_in_the_sample_settings()
    {
        var sample = LocalSettings.ReadValues(Path.Combine(TestEnvironment.RepositoryRoot, "local.settings.sample.json"));
        var named = ReadFunctions()
            .SelectMany(f => f.GetProperty("bindings").EnumerateArray())
            .SelectMany(b => b.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.String).Select(p => p.Value.GetString()!))
            .SelectMany(value => SettingReference().Matches(value).Select(m => m.Groups[1].Value))
            .Distinct()
            .ToList();

        Assert.NotEmpty(named);
        Assert.All(named, setting => Assert.True(sample.ContainsKey(setting), $"{setting} is missing from local.settings.sample.json"));
    }

    [Fact]
    public void The_app_carries_the_one_host_json_of_the_repository()
        => Assert.Equal(
            File.ReadAllText(Path.Combine(TestEnvironment.RepositoryRoot, "host.json")),
            File.ReadAllText(Path.Combine(TestEnvironment.ProjectOutput("Recorder.Functions"), "host.json")));

    [Fact]
    public void The_functions_host_adds_nosniff_and_a_deny_all_policy_to_every_response()
    {
        var headers = Recorder.DevHost.HostJson.Load(
            Path.Combine(TestEnvironment.ProjectOutput("Recorder.Functions"), "host.json"),
            new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build()).CustomHeaders();

        Assert.Equal("nosniff", headers["X-Content-Type-Options"]);
        Assert.Equal("default-src 'none'; frame-ancestors 'none'", headers["Content-Security-Policy"]);
        Assert.Equal("no-referrer", headers["Referrer-Policy"]);
    }

    private static List<JsonElement> ReadFunctions()
    {
        Assert.True(File.Exists(MetadataPath), $"{MetadataPath} was not generated by the build");
        using var document = JsonDocument.Parse(File.ReadAllText(MetadataPath));
        return document.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }

    private static string Describe(JsonElement function)
    {
        var trigger = function.GetProperty("bindings").EnumerateArray().Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));
        var type = trigger.GetProperty("type").GetString();
        var details = type switch
        {
            "httpTrigger" => $"{trigger.GetProperty("authLevel").GetString()} {string.Join(',', trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToUpperInvariant()))} {trigger.GetProperty("route").GetString()}",
            "timerTrigger" => trigger.GetProperty("schedule").GetString(),
            "queueTrigger" => $"{trigger.GetProperty("queueName").GetString()} {trigger.GetProperty("connection").GetString()}",
            _ => trigger.GetRawText(),
        };
        return $"{function.GetProperty("name").GetString()}: {type} {details}";
    }

    [GeneratedRegex("%([A-Za-z0-9_:]+)%")]
    private static partial Regex SettingReference();
}
