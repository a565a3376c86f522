using System.Text.Json.Serialization;

namespace Recorder.Core.Health;

public sealed record DependencyHealth(string Status, string? Reason, long DurationMs)
{
    public const string Healthy = "healthy";
    public const string Unhealthy = "unhealthy";

    [JsonIgnore]
    public bool IsHealthy => Status == Healthy;
}

/// <summary>The answer of <c>GET /api/health</c>: overall status and one entry per dependency.</summary>
public sealed record HealthReport(string Status, IReadOnlyDictionary<string, DependencyHealth> Dependencies)
{
    [JsonIgnore]
    public bool IsHealthy => Status == DependencyHealth.Healthy;
}
