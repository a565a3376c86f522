using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Recorder.Core.Api;
using Recorder.Core.LiveUploads;
using Recorder.Core.Recordings;

namespace Recorder.Core.Sessions;

/// <summary>Body of <c>POST /api/recording-sessions</c>.</summary>
public sealed class CreateSessionRequest
{
    public string? RecordingType { get; init; }
    public JsonElement? Settings { get; init; }
    public JsonElement? DeviceInfo { get; init; }
}

/// <summary>Body of <c>POST /api/recording-sessions/{id}/complete</c>.</summary>
public sealed class CompleteSessionRequest
{
    public long? RecordingId { get; init; }

    /// <summary>Seconds, as the browser measured the recording.</summary>
    public decimal? Duration { get; init; }
}

/// <summary>Body of <c>POST /api/recording-sessions/{id}/interrupt</c>.</summary>
public sealed class InterruptSessionRequest
{
    public string? ErrorMessage { get; init; }
    public string? ErrorCode { get; init; }
}

/// <summary>Optional body of <c>POST /api/recording-sessions/{id}/heartbeat</c>: what the page has staged of its live upload.</summary>
public sealed class HeartbeatSessionRequest
{
    public long? StagedBytes { get; init; }

    /// <summary>Seconds of the recording the staged blocks hold, as the browser counts them.</summary>
    public decimal? StagedSeconds { get; init; }
}

internal sealed record ValidCreate(string RecordingType, string Settings, string ClientDeviceInfo);

internal sealed record ValidComplete(long? RecordingId, decimal Duration);

internal sealed record ValidInterrupt(string ErrorMessage, string? ErrorCode);

/// <summary>Field rules of the session bodies; every problem of a body is reported at once.</summary>
internal static partial class SessionValidation
{
    public const int MaxErrorMessageLength = 1000;

    public static ServiceResult<ValidCreate> Validate(CreateSessionRequest request, SessionOptions options)
    {
        var errors = new ValidationErrors();
        var recordingType = errors.OneOf("recordingType", request.RecordingType, RecordingTypes.All, required: true);
        var settings = errors.JsonObject("settings", request.Settings, options.MaxJsonBytes);
        var deviceInfo = errors.JsonObject("deviceInfo", request.DeviceInfo, options.MaxJsonBytes);
        return errors.Any ? errors.ToFailure() : new ValidCreate(recordingType!, settings, deviceInfo);
    }

    public static ServiceResult<ValidComplete> Validate(CompleteSessionRequest request, SessionOptions options)
    {
        var errors = new ValidationErrors();
        if (request.RecordingId is <= 0)
        {
            errors.Add("recordingId", "must be a positive id.");
        }
        decimal duration = 0;
        switch (request.Duration)
        {
            case null:
                errors.Add("duration", "is required (seconds).");
                break;
            case < 0:
                errors.Add("duration", "must not be negative.");
                break;
            case decimal seconds when seconds > options.MaxDurationSeconds:
                errors.Add("duration", $"must be at most {options.MaxDurationSeconds.ToString(CultureInfo.InvariantCulture)} seconds.");
                break;
            case decimal seconds:
                // The column keeps milliseconds; rounding here makes a repeated call compare equal to what was stored.
                duration = Math.Round(seconds, 3, MidpointRounding.AwayFromZero);
                break;
        }
        return errors.Any ? errors.ToFailure() : new ValidComplete(request.RecordingId, duration);
    }

    public static ServiceResult<LiveReport?> Validate(HeartbeatSessionRequest? request, SessionOptions options)
    {
        if (request is null)
        {
            return (LiveReport?)null;
        }
        var errors = new ValidationErrors();
        if (request.StagedBytes is < 0)
        {
            errors.Add("stagedBytes", "must not be negative.");
        }
        if (request.StagedSeconds is < 0 || request.StagedSeconds > options.MaxDurationSeconds)
        {
            errors.Add("stagedSeconds",
                $"must be from 0 to {options.MaxDurationSeconds.ToString(CultureInfo.InvariantCulture)} seconds.");
        }
        return errors.Any ? errors.ToFailure()
            : new LiveReport(request.StagedBytes,
                request.StagedSeconds is { } seconds ? Math.Round(seconds, 3, MidpointRounding.AwayFromZero) : null);
    }

    public static ServiceResult<ValidInterrupt> Validate(InterruptSessionRequest request)
    {
        var errors = new ValidationErrors();
        var message = errors.RequiredText("errorMessage", request.ErrorMessage, MaxErrorMessageLength);
        var code = request.ErrorCode;
        if (code is not null && !ErrorCodePattern().IsMatch(code))
        {
            errors.Add("errorCode",
                "must be 1-100 letters, digits or . _ : - (a machine-readable code; the sentence goes in errorMessage).");
        }
        return errors.Any ? errors.ToFailure() : new ValidInterrupt(message!, code);
    }

    [GeneratedRegex(@"^[A-Za-z0-9._:-]{1,100}\z")]
    private static partial Regex ErrorCodePattern();
}
