using System.Net;
using System.Text;
using System.Text.Json;
using Recorder.Functions.Tests.Ingest;
using Xunit;

namespace Recorder.Functions.Tests.Api;

/// <summary>
/// Text PostgreSQL cannot store — U+0000, an unpaired UTF-16 surrogate — in any string a route reads (each string
/// of its JSON body, property names included; each query parameter; each route value) is a 400 naming the field,
/// never a 5xx, and writes nothing. The routes are the app's own [HttpTrigger] methods, each with the valid requests of
/// <see cref="HttpFunctionRequests"/>, whose strings the test spoils one at a time: a new route without a case there fails
/// <see cref="Every_http_function_has_a_case"/>.
/// </summary>
public sealed class UnstorableTextTests(WebhookTestHost host) : IClassFixture<WebhookTestHost>
{
    private static readonly BadText[] BadTexts =
    [
        // Kestrel refuses a path holding %00 with a bare 400 before any route runs.
        new("NUL", "\"a\\u0000b\"", "a%00b", InQuery: Outcome.BadRequestNamingField, InRoute: Outcome.ClientError),
        // A URL cannot carry a lone surrogate: its bytes (CESU-8) are not UTF-8, so the decoder leaves them percent-encoded
        // and the app reads the storable text "%ED%A0%80". A route value that is not an id is a 400, or a 404 where the
        // route's constraint refuses it.
        new("unpaired surrogate", "\"a\\uD800b\"", "a%ED%A0%80b", InQuery: Outcome.NotServerError, InRoute: Outcome.ClientError),
    ];

    public static TheoryData<string> Functions => new(HttpFunctionRequests.Cases.Keys.Order(StringComparer.Ordinal));

    [Fact]
    public void Every_http_function_has_a_case()
        => Assert.Equal(HttpFunctionRequests.Functions.Keys.Order(StringComparer.Ordinal), HttpFunctionRequests.Cases.Keys.Order(StringComparer.Ordinal));

    [Theory]
    [MemberData(nameof(Functions))]
    public async Task Text_postgresql_cannot_store_is_a_400_naming_the_field_and_writes_nothing(string function)
    {
        var subject = await HttpFunctionRequests.SubjectAsync(host);
        var problems = new List<string>();
        int sent = 0, serverErrors = 0;
        foreach (var request in HttpFunctionRequests.Cases[function](subject))
        {
            foreach (var slot in Slots(request))
            {
                foreach (var bad in BadTexts)
                {
                    var before = await HttpFunctionRequests.WrittenAsync(host, subject.User.Id);
                    using var response = await HttpFunctionRequests.SendAsync(subject.User, HttpFunctionRequests.Functions[function], slot.Spoil(request, bad));
                    var body = await response.Content.ReadAsStringAsync();
                    var what = $"{slot.Field} ({slot.Where}, {bad.Name}): {(int)response.StatusCode}";
                    sent++;
                    serverErrors += (int)response.StatusCode >= 500 ? 1 : 0;
                    if (!Meets(slot.Expected(bad), response, body, slot.Field))
                    {
                        problems.Add($"{what}, expected {slot.Expected(bad)}: {body}");
                    }
                    if (await HttpFunctionRequests.WrittenAsync(host, subject.User.Id) != before)
                    {
                        problems.Add($"{what}, and the request wrote to the database");
                    }
                }
            }
            // The unspoiled request is valid input: the refusals above are the spoiled text's.
            if (Slots(request).Any())
            {
                using var response = await HttpFunctionRequests.SendAsync(subject.User, HttpFunctionRequests.Functions[function], request);
                if (response.StatusCode == HttpStatusCode.BadRequest || (int)response.StatusCode >= 500)
                {
                    problems.Add($"the unspoiled request got {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                }
            }
        }
        Assert.True(
            problems.Count == 0,
            $"{function}: {serverErrors} of {sent} spoiled requests answered 5xx.{Environment.NewLine}{string.Join(Environment.NewLine, problems)}");
    }

    private static bool Meets(Outcome expected, HttpResponseMessage response, string body, string field) => expected switch
    {
        Outcome.BadRequestNamingField => response.StatusCode == HttpStatusCode.BadRequest
            && response.Content.Headers.ContentType?.MediaType == "application/problem+json"
            && JsonDocument.Parse(body).RootElement.TryGetProperty("errors", out var errors)
            && errors.TryGetProperty(field, out _),
        Outcome.ClientError => (int)response.StatusCode is >= 400 and < 500,
        _ => (int)response.StatusCode < 500,
    };

    /// <summary>Every string the request carries, each a place to put bad text.</summary>
    private static IEnumerable<Slot> Slots(Request request)
        => request.Route.Keys.Select(name => (Slot)new RouteSlot(name))
            .Concat(request.Query.Keys.Select(name => new QuerySlot(name)))
            .Concat(request.Body is null ? [] : BodyStrings(request.Body));

    /// <summary>
    /// Each string token of <paramref name="json"/>, values and property names, with the field a refusal names: the
    /// value's path (<c>metadata.labels[1].b</c>), or for a property name the object holding it (<c>body</c> at the top).
    /// </summary>
    private static List<Slot> BodyStrings(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var slots = new List<Slot>();
        var open = new Stack<Container>();
        var reader = new Utf8JsonReader(bytes);
        while (reader.Read())
        {
            var start = (int)reader.TokenStartIndex;
            switch (reader.TokenType)
            {
                case JsonTokenType.PropertyName:
                    open.Peek().Property = reader.GetString();
                    slots.Add(new BodySlot(open.Peek().Path is "" ? "body" : open.Peek().Path, start, reader.ValueSpan.Length + 2, IsName: true));
                    break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    open.Push(new Container(NextPath(open), reader.TokenType == JsonTokenType.StartArray));
                    break;
                case JsonTokenType.EndObject or JsonTokenType.EndArray:
                    open.Pop();
                    break;
                case JsonTokenType.String:
                    slots.Add(new BodySlot(NextPath(open), start, reader.ValueSpan.Length + 2, IsName: false));
                    break;
                default:
                    NextPath(open);
                    break;
            }
        }
        return slots;
    }

    // The path of the value being read, moving an enclosing array on to its next item.
    private static string NextPath(Stack<Container> open)
    {
        if (!open.TryPeek(out var container))
        {
            return "";
        }
        if (container.IsArray)
        {
            return $"{container.Path}[{container.Items++}]";
        }
        return container.Path is "" ? container.Property! : $"{container.Path}.{container.Property}";
    }

    /// <param name="JsonLiteral">The text as a JSON string, escaped as a client would send it.</param>
    /// <param name="UrlEncoded">The text percent-encoded for a URL.</param>
    private sealed record BadText(string Name, string JsonLiteral, string UrlEncoded, Outcome InQuery, Outcome InRoute);

    private enum Outcome
    {
        BadRequestNamingField,
        ClientError,
        NotServerError,
    }

    private sealed class Container(string path, bool isArray)
    {
        public string Path { get; } = path;

        public bool IsArray { get; } = isArray;

        public int Items { get; set; }

        public string? Property { get; set; }
    }

    private abstract record Slot(string Field)
    {
        public abstract string Where { get; }

        public abstract Request Spoil(Request request, BadText bad);

        public abstract Outcome Expected(BadText bad);
    }

    private sealed record BodySlot(string Field, int Start, int Length, bool IsName) : Slot(Field)
    {
        public override string Where => IsName ? "body property name" : "body";

        public override Outcome Expected(BadText bad) => Outcome.BadRequestNamingField;

        public override Request Spoil(Request request, BadText bad)
            => request with { Body = string.Concat(request.Body![..Start], bad.JsonLiteral, request.Body[(Start + Length)..]) };
    }

    private sealed record QuerySlot(string Field) : Slot(Field)
    {
        public override string Where => "query";

        public override Outcome Expected(BadText bad) => bad.InQuery;

        public override Request Spoil(Request request, BadText bad)
            => request with { Query = new(request.Query) { [Field] = bad.UrlEncoded } };
    }

    private sealed record RouteSlot(string Field) : Slot(Field)
    {
        public override string Where => "route";

        public override Outcome Expected(BadText bad) => bad.InRoute;

        public override Request Spoil(Request request, BadText bad)
            => request with { Route = new(request.Route) { [Field] = bad.UrlEncoded } };
    }
}
