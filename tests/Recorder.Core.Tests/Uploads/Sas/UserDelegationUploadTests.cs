using Azure;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Recorder.Core.Api;
using Recorder.Core.Audit;
using Recorder.Core.Security;
using Recorder.Core.Storage;
using Recorder.Core.Tests.Fixtures;
using Recorder.Core.Tests.Lifecycle;
using Recorder.Core.Uploads;
using Recorder.Testing;
using Xunit;

namespace Recorder.Core.Tests.Uploads.Sas;

/// <summary>
/// Upload URLs as Azure signs them, with a user delegation key: the app's services over a test database, with
/// identity-based storage (<see cref="FakeBlobService"/>) in place of Azurite.
/// </summary>
public sealed class UserDelegationUploadTests(MigratedDatabase database) : IClassFixture<MigratedDatabase>
{
    private const string UserId = "delegation-key-user";

    [Fact]
    public async Task A_delegation_key_that_cannot_be_fetched_writes_no_recording_and_no_success_audit()
    {
        await database.AddUserAsync(UserId);
        var storage = new FakeBlobService { RefusesKeys = true };
        await using var services = Services(storage);
        var uploads = services.GetRequiredService<UploadService>();
        var caller = new Caller(UserId, RecordingScopes.All, Caller.SessionMethod);
        var request = new CreateUploadRequest { Title = "Lecture", RecordingType = "camera", MimeType = "video/webm", FileSize = 1000 };

        var refused = await Assert.ThrowsAsync<RequestFailedException>(() => uploads.CreateAsync(caller, request, RequestInfo.None, default));

        Assert.Equal((403, "AuthorizationPermissionMismatch"), (refused.Status, refused.ErrorCode));
        // Storage answered, with a refusal: no outage (a 503 to retry) but a fault to fix, which HttpApi answers 500 (HttpApiFaultTests).
        Assert.Null(DependencyOutage.Of(refused));
        Assert.Equal((0, 0), await RecordingsAndSuccessAuditsAsync());

        storage.RefusesKeys = false;
        var created = await uploads.CreateAsync(caller, request, RequestInfo.None, default);

        Assert.Null(created.Failure);
        Assert.Equal((1, 1), await RecordingsAndSuccessAuditsAsync());
    }

    // The app's services (LifecycleHarness: AddRecorderCore over the test database) with identity-based storage: no
    // connection string, a service URI, and the fake account's client.
    private ServiceProvider Services(FakeBlobService storage)
        => new LifecycleHarness(database, new StorageOptions(), queueName: nameof(UserDelegationUploadTests)).Build(
            blobs: storage.Client(),
            settings: new Dictionary<string, string?>
            {
                [StorageOptions.ConnectionName] = null,
                [$"{StorageOptions.ConnectionName}:blobServiceUri"] = FakeBlobService.Endpoint.ToString(),
            });

    private async Task<(int Recordings, int SuccessAudits)> RecordingsAndSuccessAuditsAsync()
    {
        await using var connection = await database.OpenMaintenanceAsync();
        return await connection.QuerySingleAsync<(int, int)>(
            """
            SELECT (SELECT count(*)::int FROM recordings WHERE user_id = @UserId),
                   (SELECT count(*)::int FROM audit_log WHERE user_id = @UserId AND action = @Action AND outcome = @Outcome)
            """,
            new { UserId, Action = AuditActions.RecordingCreate, Outcome = AuditOutcomes.Success });
    }
}
