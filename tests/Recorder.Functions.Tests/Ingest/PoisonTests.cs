using Dapper;
using Recorder.Testing;
using Xunit;

namespace Recorder.Functions.Tests.Ingest;

/// <summary>A message that fails every retry lands in the poison queue, and its recording fails so the page stops waiting.</summary>
public sealed class PoisonTests(PoisonTestHost ingest) : IClassFixture<PoisonTestHost>
{
    [Fact]
    public async Task A_recording_whose_ingest_keeps_failing_ends_failed_with_processing_failed()
    {
        var user = await ingest.Api.SignInNewUserAsync();

        var id = await ingest.UploadAsync(user, await File.ReadAllBytesAsync(TestEnvironment.MediaFixture("audio.ogg")), "audio", "audio/ogg");
        var recording = await ingest.WaitForOutcomeAsync(user, id);

        Assert.Equal("failed", recording.GetProperty("status").GetString());
        Assert.Equal("processing_failed", recording.GetProperty("failureCode").GetString());
        await using var connection = await ingest.OpenMaintenanceAsync();
        Assert.Equal(2, await connection.ExecuteScalarAsync<int>("SELECT ingest_attempts FROM recordings WHERE id = @id", new { id }));
    }
}
