using System.Globalization;
using System.Text;

namespace Recorder.Infra.Tests.Support;

/// <summary>
/// Evaluates the few ARM template functions a computed app setting is made of (<c>format</c>, <c>div</c>, <c>mod</c>,
/// <c>parameters</c>, integer and string literals), so a test can see the value a parameter becomes.
/// Anything else is an error: a template that starts using another function needs it added here first.
/// </summary>
public sealed class ArmExpression
{
    private readonly string text;
    private readonly IReadOnlyDictionary<string, long> parameters;
    private int position;

    private ArmExpression(string text, IReadOnlyDictionary<string, long> parameters)
    {
        this.text = text;
        this.parameters = parameters;
    }

    /// <param name="expression">A compiled expression, <c>[…]</c>.</param>
    public static string Evaluate(string expression, IReadOnlyDictionary<string, long> parameters)
    {
        if (!expression.StartsWith('[') || !expression.EndsWith(']'))
        {
            throw new FormatException($"Not an ARM expression: {expression}");
        }
        var parser = new ArmExpression(expression[1..^1], parameters);
        var value = parser.Value();
        if (parser.position != parser.text.Length)
        {
            throw new FormatException($"Unexpected text at {parser.position} of {expression}");
        }
        return Convert.ToString(value, CultureInfo.InvariantCulture)!;
    }

    private object Value()
    {
        Skip();
        if (text[position] == '\'')
        {
            return Literal();
        }
        if (char.IsAsciiDigit(text[position]))
        {
            var start = position;
            while (position < text.Length && char.IsAsciiDigit(text[position]))
            {
                position++;
            }
            return long.Parse(text[start..position], CultureInfo.InvariantCulture);
        }
        var nameStart = position;
        while (char.IsAsciiLetter(text[position]))
        {
            position++;
        }
        var name = text[nameStart..position];
        Expect('(');
        var arguments = new List<object>();
        Skip();
        while (text[position] != ')')
        {
            arguments.Add(Value());
            Skip();
            if (text[position] == ',')
            {
                position++;
            }
        }
        position++;
        return name switch
        {
            "parameters" => parameters[(string)arguments[0]],
            "div" => (long)arguments[0] / (long)arguments[1],
            "mod" => (long)arguments[0] % (long)arguments[1],
            "format" => string.Format(CultureInfo.InvariantCulture, (string)arguments[0], [.. arguments.Skip(1)]),
            _ => throw new NotSupportedException($"ARM function {name} is not evaluated here"),
        };
    }

    private string Literal()
    {
        var value = new StringBuilder();
        position++;
        while (true)
        {
            if (text[position] == '\'')
            {
                // '' is a quote inside a literal.
                if (position + 1 < text.Length && text[position + 1] == '\'')
                {
                    value.Append('\'');
                    position += 2;
                    continue;
                }
                position++;
                return value.ToString();
            }
            value.Append(text[position++]);
        }
    }

    private void Expect(char expected)
    {
        Skip();
        if (text[position] != expected)
        {
            throw new FormatException($"Expected '{expected}' at {position} of [{text}]");
        }
        position++;
    }

    private void Skip()
    {
        while (position < text.Length && text[position] == ' ')
        {
            position++;
        }
    }
}
