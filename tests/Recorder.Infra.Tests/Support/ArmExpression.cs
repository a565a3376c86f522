using System.Globalization;
using System.Text;

namespace Recorder.Infra.Tests.Support;

/// <summary>A template expression's <c>fail()</c>: the deployment would stop with this message.</summary>
public sealed class ArmFailException(string message) : Exception(message);

/// <summary>
/// Evaluates the few ARM template functions a computed app setting is made of (<c>format</c>, <c>div</c>, <c>mod</c>,
/// <c>mul</c>, <c>greater</c>, <c>if</c>, <c>fail</c>, <c>parameters</c>, <c>variables</c>, the template's own user-defined
/// functions, integer and string literals), so a test can see the value a parameter becomes. Anything else is an error:
/// a template that starts using another function needs it added here first.
/// </summary>
public sealed class ArmExpression
{
    private readonly string text;
    private int position;

    private ArmExpression(string text) => this.text = text;

    private abstract record Node;

    private sealed record Literal(object Value) : Node;

    private sealed record Call(string Name, IReadOnlyList<Node> Arguments) : Node;

    /// <param name="expression">A compiled expression, <c>[…]</c>.</param>
    /// <param name="template">Where <c>variables()</c> and user-defined functions (<c>__bicep.name</c>) are looked up.</param>
    /// <exception cref="ArmFailException">The expression calls <c>fail()</c>.</exception>
    public static string Evaluate(string expression, IReadOnlyDictionary<string, long> parameters, ArmTemplate template)
        => Convert.ToString(Value(expression, parameters, template), CultureInfo.InvariantCulture)!;

    private static object Value(string expression, IReadOnlyDictionary<string, object> parameters, ArmTemplate template)
        => Eval(Parse(expression), parameters, template);

    private static object Value(string expression, IReadOnlyDictionary<string, long> parameters, ArmTemplate template)
        => Value(expression, parameters.ToDictionary(pair => pair.Key, pair => (object)pair.Value), template);

    private static Node Parse(string expression)
    {
        if (!expression.StartsWith('[') || !expression.EndsWith(']'))
        {
            throw new FormatException($"Not an ARM expression: {expression}");
        }
        var parser = new ArmExpression(expression[1..^1]);
        var node = parser.Next();
        if (parser.position != parser.text.Length)
        {
            throw new FormatException($"Unexpected text at {parser.position} of {expression}");
        }
        return node;
    }

    // if() evaluates only the branch it takes, as ARM does: the other may be a fail().
    private static object Eval(Node node, IReadOnlyDictionary<string, object> parameters, ArmTemplate template)
    {
        if (node is Literal literal)
        {
            return literal.Value;
        }
        var call = (Call)node;
        if (call.Name == "if")
        {
            return Eval(call.Arguments[(bool)Eval(call.Arguments[0], parameters, template) ? 1 : 2], parameters, template);
        }
        var arguments = call.Arguments.Select(argument => Eval(argument, parameters, template)).ToList();
        return call.Name switch
        {
            "parameters" => parameters[(string)arguments[0]],
            "variables" => Value(Json.Text(template.Variables[(string)arguments[0]])!, parameters, template),
            "div" => (long)arguments[0] / (long)arguments[1],
            "mod" => (long)arguments[0] % (long)arguments[1],
            "mul" => (long)arguments[0] * (long)arguments[1],
            "greater" => (long)arguments[0] > (long)arguments[1],
            "fail" => throw new ArmFailException((string)arguments[0]),
            "format" => string.Format(CultureInfo.InvariantCulture, (string)arguments[0], [.. arguments.Skip(1)]),
            _ when call.Name.Contains('.', StringComparison.Ordinal) => UserFunction(call.Name, arguments, template),
            _ => throw new NotSupportedException($"ARM function {call.Name} is not evaluated here"),
        };
    }

    /// <summary>A user-defined function: its output evaluated with only its own parameters, as ARM scopes it.</summary>
    private static object UserFunction(string name, IReadOnlyList<object> arguments, ArmTemplate template)
    {
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        var (space, member) = (name[..dot], name[(dot + 1)..]);
        var function = template.Root["functions"]!.AsArray().Single(entry => Json.Text(entry!["namespace"]) == space)!["members"]![member]!;
        var names = function["parameters"]!.AsArray().Select(parameter => Json.Text(parameter!["name"])!).ToList();
        var scope = names.Select((parameter, i) => (parameter, arguments[i])).ToDictionary(pair => pair.parameter, pair => pair.Item2);
        return Value(Json.Text(function["output"]!["value"])!, scope, template);
    }

    private Node Next()
    {
        Skip();
        if (text[position] == '\'')
        {
            return new Literal(StringLiteral());
        }
        if (char.IsAsciiDigit(text[position]))
        {
            var start = position;
            while (position < text.Length && char.IsAsciiDigit(text[position]))
            {
                position++;
            }
            return new Literal(long.Parse(text[start..position], CultureInfo.InvariantCulture));
        }
        var nameStart = position;
        while (char.IsAsciiLetterOrDigit(text[position]) || text[position] is '_' or '.')
        {
            position++;
        }
        var name = text[nameStart..position];
        Expect('(');
        var arguments = new List<Node>();
        Skip();
        while (text[position] != ')')
        {
            arguments.Add(Next());
            Skip();
            if (text[position] == ',')
            {
                position++;
            }
        }
        position++;
        return new Call(name, arguments);
    }

    private string StringLiteral()
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
