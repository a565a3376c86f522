using System.ComponentModel.DataAnnotations;

namespace Recorder.Core.Data;

/// <summary>
/// Connection settings, one per database role (docs/architecture.md, "Roles"). In Azure the
/// connection strings carry no password: <see cref="UseEntraAuthentication"/> makes the app
/// fetch a Microsoft Entra token for its managed identity instead.
/// </summary>
public sealed class DatabaseOptions
{
    public const string SectionName = "Database";

    /// <summary>As <c>recorder_app</c>: HTTP functions, subject to row-level security.</summary>
    [Required]
    public string AppConnectionString { get; set; } = "";

    /// <summary>As <c>recorder_maintenance</c>: timers and ingest (BYPASSRLS).</summary>
    [Required]
    public string MaintenanceConnectionString { get; set; } = "";

    public bool UseEntraAuthentication { get; set; }

    /// <summary>Client id of the user-assigned managed identity; empty selects DefaultAzureCredential.</summary>
    public string? ManagedIdentityClientId { get; set; }
}
