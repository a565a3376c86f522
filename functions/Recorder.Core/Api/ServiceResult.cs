namespace Recorder.Core.Api;

/// <summary>Why a request could not be served, in the terms the HTTP layer turns into a problem response.</summary>
public enum FailureKind
{
    Validation = 400,
    NotFound = 404,
    Conflict = 409,
    PayloadTooLarge = 413,
    UnsupportedMediaType = 415,
    TooManyRequests = 429,
}

/// <param name="Errors">Per-field messages for <see cref="FailureKind.Validation"/>, keyed by JSON property path.</param>
/// <param name="Extensions">Extra members of the problem body (e.g. the quota numbers of a 413).</param>
/// <param name="RetryAfter">When the caller may try again (the Retry-After header, in whole seconds).</param>
public sealed record Failure(
    FailureKind Kind,
    string Detail,
    IReadOnlyDictionary<string, string[]>? Errors = null,
    IReadOnlyDictionary<string, object?>? Extensions = null,
    TimeSpan? RetryAfter = null)
{
    public static Failure NotFound(string detail) => new(FailureKind.NotFound, detail);

    public static Failure Invalid(string field, string message)
        => new(FailureKind.Validation, "The request is not valid.", new Dictionary<string, string[]> { [field] = [message] });
}

/// <summary>A value, or the <see cref="Failure"/> that prevented it.</summary>
public readonly struct ServiceResult<T>
{
    private ServiceResult(T? value, Failure? failure)
    {
        Value = value;
        Failure = failure;
    }

    public T? Value { get; }

    public Failure? Failure { get; }

    public static implicit operator ServiceResult<T>(T value) => new(value, null);

    public static implicit operator ServiceResult<T>(Failure failure) => new(default, failure);
}
