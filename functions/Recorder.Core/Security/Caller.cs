namespace Recorder.Core.Security;

/// <summary>
/// An authenticated user, what they may do, and how they proved it (<see cref="SessionMethod"/> or <see cref="BearerMethod"/>).
/// </summary>
public sealed record Caller(string UserId, IReadOnlySet<string> Scopes, string Method)
{
    public const string SessionMethod = "session";
    public const string BearerMethod = "bearer";
}
