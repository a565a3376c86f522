namespace Recorder.Core.Uploads.Sas;

/// <summary>Lifetimes of the SAS URLs handed to browsers (bound from section "Sas").</summary>
public sealed class SasOptions
{
    public const string SectionName = "Sas";

    public TimeSpan UploadUrlLifetime { get; set; } = TimeSpan.FromMinutes(30);

    public TimeSpan ReadUrlLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How far back a SAS starts, so a storage clock behind ours still accepts it.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    internal TimeSpan LongestUrlLifetime => UploadUrlLifetime > ReadUrlLifetime ? UploadUrlLifetime : ReadUrlLifetime;
}
