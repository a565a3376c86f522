using System.Globalization;

namespace Recorder.DevHost;

/// <summary>The simple types a function parameter can take from a route value, parsed with the invariant culture.</summary>
public static class RouteValueConverter
{
    // Each parser answers null when the text does not parse.
    private static readonly Dictionary<Type, Func<string, object?>> Parsers = new()
    {
        [typeof(string)] = text => text,
        [typeof(int)] = text => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null,
        [typeof(long)] = text => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : null,
        [typeof(Guid)] = text => Guid.TryParse(text, CultureInfo.InvariantCulture, out var value) ? value : null,
        [typeof(bool)] = text => bool.TryParse(text, out var value) ? value : null,
    };

    public static bool Supports(Type type) => Parsers.ContainsKey(Nullable.GetUnderlyingType(type) ?? type);

    public static bool AcceptsNull(Type type) => !type.IsValueType || Nullable.GetUnderlyingType(type) is not null;

    /// <summary>Converts a route value; an absent value (an optional route parameter) becomes null where the type allows it.</summary>
    public static bool TryConvert(string? text, Type type, out object? value)
    {
        if (text is null)
        {
            value = null;
            return AcceptsNull(type);
        }
        value = Parsers[Nullable.GetUnderlyingType(type) ?? type](text);
        return value is not null;
    }
}
