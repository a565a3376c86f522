using System.Net;
using System.Net.Sockets;

namespace Recorder.Testing.Services;

/// <summary>
/// A TCP relay in front of Azurite's blob endpoint that counts the bytes storage sends back: every read the
/// app makes (its own ranged GETs and ffprobe/ffmpeg's over the read SAS URL, which carries this address)
/// passes here, so <see cref="BytesFromStorage"/> is what a recording cost to read, HTTP headers included.
/// The ingest benchmark and the tests that bound what ingest reads share it.
/// </summary>
public sealed class CountingProxy : IAsyncDisposable
{
    private const int RelaySendBufferBytes = 16 * 1024;

    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stopping = new();
    private readonly Task accepting;
    private readonly IPEndPoint upstream;
    private long bytesFromStorage;
    private long requests;

    public CountingProxy(Uri upstreamBlobEndpoint)
    {
        upstream = new IPEndPoint(IPAddress.Parse(upstreamBlobEndpoint.Host), upstreamBlobEndpoint.Port);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        BlobEndpoint = $"http://127.0.0.1:{port}{upstreamBlobEndpoint.AbsolutePath.TrimEnd('/')}";
        accepting = AcceptAsync();
    }

    /// <summary>The BlobEndpoint to give the app instead of Azurite's.</summary>
    public string BlobEndpoint { get; }

    public long BytesFromStorage => Interlocked.Read(ref bytesFromStorage);

    /// <summary>Connections opened through the relay (a lower bound on requests: keep-alive reuses them).</summary>
    public long Connections => Interlocked.Read(ref requests);

    private readonly System.Collections.Concurrent.ConcurrentQueue<ProxiedRequest> log = new();

    /// <summary>Requests seen since the last <see cref="Reset"/>: method, path (no query), range, user agent, bytes answered.</summary>
    public IReadOnlyList<ProxiedRequest> Requests => [.. log];

    public void Reset()
    {
        Interlocked.Exchange(ref bytesFromStorage, 0);
        Interlocked.Exchange(ref requests, 0);
        log.Clear();
        sinceReset.Restart();
    }

    private readonly System.Diagnostics.Stopwatch sinceReset = System.Diagnostics.Stopwatch.StartNew();

    private async Task AcceptAsync()
    {
        while (!stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            Interlocked.Increment(ref requests);
            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        // A storage service sends what the reader's receive window lets through; with the kernel's autotuned
        // send buffer (megabytes on loopback) the relay would pull from Azurite what nobody has asked for yet.
        client.Client.SendBufferSize = RelaySendBufferBytes;
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(upstream, stopping.Token);
                var fromClient = client.GetStream();
                var fromServer = server.GetStream();
                downstreams.Add(fromServer, this);
                var current = new ProxiedRequest[1];
                var up = PumpAsync(fromClient, fromServer, current);
                var down = PumpAsync(fromServer, fromClient, current);
                await Task.WhenAny(up, down);
            }
            catch (Exception exception) when (exception is IOException or SocketException or OperationCanceledException)
            {
                // A closed connection ends its relay.
            }
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, ProxiedRequest[] current)
    {
        var count = IsDownstream(from);
        var buffer = new byte[RelaySendBufferBytes];
        try
        {
            int read;
            while ((read = await from.ReadAsync(buffer, stopping.Token)) > 0)
            {
                if (count)
                {
                    Interlocked.Add(ref bytesFromStorage, read);
                    if (current[0] is { } request)
                    {
                        Interlocked.Add(ref request.Bytes, read);
                    }
                }
                else if (ParseRequest(buffer.AsSpan(0, read), sinceReset.Elapsed.TotalMilliseconds) is { } request)
                {
                    current[0] = request;
                    log.Enqueue(request);
                }
                await to.WriteAsync(buffer.AsMemory(0, read), stopping.Token);
            }
        }
        catch (Exception exception)
            when (exception is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Either side closed.
        }
    }

    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<NetworkStream, object> downstreams = new();

    private bool IsDownstream(NetworkStream stream) => downstreams.TryGetValue(stream, out _);

    /// <summary>The request line and the headers that say what was read, when a chunk from the client starts a request.</summary>
    private static ProxiedRequest? ParseRequest(ReadOnlySpan<byte> chunk, double atMs)
    {
        var text = System.Text.Encoding.ASCII.GetString(chunk[..Math.Min(chunk.Length, 4096)]);
        var space = text.IndexOf(' ');
        if (space is < 3 or > 7 || !text[..space].All(char.IsAsciiLetterUpper))
        {
            return null;
        }
        var lines = text.Split("\r\n");
        var target = lines[0].Split(' ')[1];
        string? Header(string name)
            => lines.FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.OrdinalIgnoreCase))?[(name.Length + 1)..].Trim();
        var agent = Header("User-Agent") ?? "";
        var client = agent.StartsWith("Lavf", StringComparison.Ordinal) ? "ffmpeg"
            : agent.StartsWith("azsdk", StringComparison.Ordinal) ? "app (.NET SDK)"
            : agent;
        return new ProxiedRequest(text[..space], target.Split('?')[0], Header("Range") ?? Header("x-ms-range") ?? "", client, atMs);
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        await accepting;
        stopping.Dispose();
    }
}

/// <summary>One request through the relay and the bytes storage answered it with.</summary>
public sealed class ProxiedRequest(string method, string path, string range, string client, double atMs)
{
    /// <summary>When the request was sent, in ms after the last reset.</summary>
    public double AtMs { get; } = atMs;

    public long Bytes;

    public string Method { get; } = method;

    public string Path { get; } = path;

    public string Range { get; } = range;

    public string Client { get; } = client;
}
