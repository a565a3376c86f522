using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Recorder.Bench.Common;

namespace Recorder.Bench.Mixed;

/// <summary>
/// <c>POST /api/recordings/uploads</c> over HTTP from a fixed number of clients, as fast as they answer or at a fixed rate
/// (<paramref name="rate"/>, an open loop), each request a new 1 MiB camera recording of one of the signed-in users in turn
/// (as the upload-URL benchmark sends them).
/// </summary>
public sealed class UploadUrlWorkload(Uri host, int concurrency, double? rate, IReadOnlyList<string> cookies) : IHttpWorkload
{
    public int Clients => concurrency;

    public double? Rate => rate;

    public string Name => $"Upload URLs (POST /api/recordings/uploads, {HttpWorkloads.Describe(concurrency, rate)})";

    public string Short => "upload URLs";

    public string Sample => "request";

    public string ThroughputUnit => "requests/s";

    public async Task<WorkloadResult> RunAsync(PhaseWindow window)
        => WorkloadResult.FromLoad(await LoadGenerator.RunAsync(Name, host, concurrency, window.WarmUp, window.Duration,
            (_, n) => Request(cookies[(int)(n % cookies.Count)], n), HttpStatusCode.Created, requestsPerSecond: rate));

    private static HttpRequestMessage Request(string cookie, long n)
    {
        var body = $"{{\"title\":\"Mixed load {n}\",\"recordingType\":\"camera\","
            + "\"mimeType\":\"video/webm;codecs=vp8,opus\",\"fileSize\":1048576}";
        var request = new HttpRequestMessage(HttpMethod.Post, "api/recordings/uploads")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("Cookie", cookie);
        return request;
    }
}

/// <summary>
/// <c>GET /api/recordings</c> over HTTP from a fixed number of clients, as fast as they answer or at a fixed rate (an open
/// loop): each client takes a user, half the time one of the heaviest, and walks up to <see cref="MaxPages"/> keyset pages of
/// 20 by their <c>nextCursor</c>, then takes another.
/// </summary>
public sealed class ListPageWorkload(
    Uri host, int concurrency, double? rate, IReadOnlyList<string> heavyCookies, IReadOnlyList<string> otherCookies) : IHttpWorkload
{
    public const int MaxPages = 10;

    public int Clients => concurrency;

    public double? Rate => rate;

    private readonly Walk[] walks = [.. Enumerable.Range(0, concurrency).Select(worker => new Walk(new Random(worker)))];

    public string Name => $"List pages (GET /api/recordings, {HttpWorkloads.Describe(concurrency, rate)})";

    public string Short => "list pages";

    public string Sample => "request";

    public string ThroughputUnit => "requests/s";

    public async Task<WorkloadResult> RunAsync(PhaseWindow window)
        => WorkloadResult.FromLoad(await LoadGenerator.RunAsync(Name, host, concurrency, window.WarmUp, window.Duration,
            (worker, _) => walks[worker].Next(heavyCookies, otherCookies), HttpStatusCode.OK,
            async (worker, response) => walks[worker].Answered(await response.Content.ReadAsStreamAsync()), rate));

    /// <summary>One client's walk through one user's pages; each client's requests are sequential.</summary>
    private sealed class Walk(Random random)
    {
        private string cookie = "";
        private string? cursor;
        private int pagesLeft;

        public HttpRequestMessage Next(IReadOnlyList<string> heavy, IReadOnlyList<string> others)
        {
            if (pagesLeft == 0)
            {
                var pool = random.Next(2) == 0 ? heavy : others;
                cookie = pool[random.Next(pool.Count)];
                cursor = null;
                pagesLeft = random.Next(1, MaxPages + 1);
            }
            var path = "api/recordings?limit=20" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
            var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Add("Cookie", cookie);
            return request;
        }

        public void Answered(Stream body)
        {
            using var page = JsonDocument.Parse(body);
            cursor = page.RootElement.GetProperty("nextCursor").GetString();
            pagesLeft = cursor is null ? 0 : pagesLeft - 1;
        }
    }
}

/// <summary>An HTTP workload: its clients, and its rate when it is an open loop (null: each client as fast as it is answered).</summary>
public interface IHttpWorkload : IWorkload
{
    int Clients { get; }

    double? Rate { get; }
}

internal static class HttpWorkloads
{
    public static string Describe(int clients, double? rate)
        => rate is { } perSecond ? string.Create(CultureInfo.InvariantCulture, $"{perSecond:0} requests/s from {clients} clients")
            : $"{clients} clients";
}
