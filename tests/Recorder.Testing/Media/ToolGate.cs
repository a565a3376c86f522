namespace Recorder.Testing.Media;

/// <summary>
/// A stand-in for a media tool (ffprobe by default) that holds every call at a gate: each call announces
/// itself, waits until the test opens the gate, then runs the real tool with the same arguments. Set
/// <see cref="Path"/> as the app's tool path (e.g. <c>Media:FfprobePath</c>) to act at an exact point of
/// ingest — after the claim, while the media is being probed — with nothing else in the app changed.
/// With <paramref name="holding"/>, only calls whose arguments contain it wait (<c>-c copy</c>: the
/// seekable copy's remux, not the thumbnail).
/// </summary>
public sealed class ToolGate : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("recorder-gate-").FullName;

    public ToolGate(string tool = "ffprobe", string holding = "")
    {
        var real = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .Select(directory => System.IO.Path.Combine(directory, tool))
            .FirstOrDefault(File.Exists) ?? throw new InvalidOperationException($"{tool} is not on the PATH.");
        Path = System.IO.Path.Combine(folder, tool);
        File.WriteAllText(Path, $"""
            #!/bin/sh
            case " $* " in *"{holding}"*)
              touch "{folder}/called.$$"
              while [ ! -e "{folder}/open" ]; do sleep 0.02; done ;;
            esac
            exec "{real}" "$@"
            """.Replace("\r\n", "\n", StringComparison.Ordinal) + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>The script to configure as the tool's path.</summary>
    public string Path { get; }

    /// <summary>How many calls reached the gate so far.</summary>
    public int Calls => Directory.GetFiles(folder, "called.*").Length;

    /// <summary>Waits until a call is held at the gate (the app is at the point the gate marks).</summary>
    public Task WaitForCallAsync(TimeSpan? timeout = null)
        => Eventually.TrueAsync(() => Calls > 0, "the app calls the gated tool", timeout);

    /// <summary>Lets every held and later call through.</summary>
    public void Open() => File.WriteAllText(System.IO.Path.Combine(folder, "open"), "");

    /// <summary>Opens the gate; the small folder stays, since a call still between its checks would wait forever without it.</summary>
    public void Dispose() => Open();
}
