using System.Collections.Specialized;
using System.Web;
using Azure;
using Xunit;

namespace Recorder.Core.Tests.Uploads.Sas;

internal static class SasAssert
{
    public static async Task ForbiddenAsync(Func<Task> request)
    {
        var failure = await Assert.ThrowsAsync<RequestFailedException>(request);
        Assert.Equal(403, failure.Status);
    }

    public static NameValueCollection Query(Uri sasUri) => HttpUtility.ParseQueryString(sasUri.Query);

    public static DateTimeOffset Time(NameValueCollection query, string name)
        => DateTimeOffset.Parse(query[name] ?? throw new Xunit.Sdk.XunitException($"SAS has no {name}"), System.Globalization.CultureInfo.InvariantCulture);
}
