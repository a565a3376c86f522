using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Recorder.Core.Api;
using Recorder.Core.Tests.Security;
using Xunit;

namespace Recorder.Core.Tests.Api;

/// <summary>
/// A fault of ours (an exception that is no dependency outage) is answered by <see cref="HttpApi.ServeAsync"/> itself, as
/// problem+json, because under the Functions host an exception left to the worker is a 500 without a body at best.
/// </summary>
public sealed class HttpApiFaultTests
{
    private readonly CapturingLogger<HttpApi> logger = new();

    // ServeAsync authenticates no one: the authenticator is not needed here.
    private HttpApi Api => new(null!, Options.Create(new ClientAddressOptions()), logger);

    [Fact]
    public async Task A_fault_of_ours_is_a_500_problem_naming_the_trace_id_and_nothing_of_the_exception()
    {
        var context = new DefaultHttpContext { TraceIdentifier = "trace-42" };
        context.Request.Method = HttpMethods.Post;
        context.Request.Path = "/api/recordings/uploads";

        var result = await Api.ServeAsync(context.Request, () => throw new InvalidOperationException("Host=db;Password=hunter2"));

        var answer = Assert.IsType<ObjectResult>(result);
        Assert.Equal(StatusCodes.Status500InternalServerError, answer.StatusCode);
        Assert.Equal([Problems.ContentType], answer.ContentTypes);
        var problem = Assert.IsType<ProblemDetails>(answer.Value);
        Assert.Contains("trace-42", problem.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", problem.Detail, StringComparison.Ordinal);
        var logged = Assert.Single(logger.Entries, entry => entry.Level == LogLevel.Error);
        Assert.Contains("trace-42", logged.Message, StringComparison.Ordinal);
        Assert.Contains(nameof(InvalidOperationException), logged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_its_client_abandoned_is_not_answered_as_a_fault()
    {
        using var aborted = new CancellationTokenSource();
        await aborted.CancelAsync();
        var context = new DefaultHttpContext { RequestAborted = aborted.Token };

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => Api.ServeAsync(context.Request, () => throw new OperationCanceledException(aborted.Token)));

        Assert.DoesNotContain(logger.Entries, entry => entry.Level == LogLevel.Error);
    }
}
