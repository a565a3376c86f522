using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Recorder.Core.Sessions;
using Xunit;

namespace Recorder.Core.Tests.Sessions;

public sealed class SessionOptionsTests
{
    [Fact]
    public void Settings_bind_from_the_sessions_section()
    {
        var options = Resolve(new() { ["Sessions:StaleAfter"] = "00:05:00", ["Sessions:SweepBatchSize"] = "50" });

        Assert.Equal(TimeSpan.FromMinutes(5), options.StaleAfter);
        Assert.Equal(50, options.SweepBatchSize);
        Assert.Equal(16 * 1024, options.MaxJsonBytes);
    }

    [Theory]
    [InlineData("Sessions:StaleAfter", "00:00:05")]
    [InlineData("Sessions:SweepBatchSize", "0")]
    [InlineData("Sessions:MaxJsonBytes", "65536")]
    [InlineData("Sessions:ListDefaultLimit", "500")]
    [InlineData("Sessions:StatsDefaultWindow", "400.00:00:00")]
    public void Settings_out_of_range_are_refused_naming_the_setting(string key, string value)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new() { [key] = value }));

        Assert.Contains(key, error.Message);
    }

    [Fact]
    public void Stats_default_to_the_last_seven_days()
    {
        var now = new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);

        var query = SessionStatsQuery.Parse(new QueryCollection(), new SessionOptions(), now);

        Assert.Equal(new SessionStatsQuery(now.AddDays(-7), now), query.Value);
    }

    [Theory]
    [InlineData("from", "2026-03-01", "2026-03-01T00:00:00+00:00", "2026-03-10T12:00:00+00:00")]
    [InlineData("to", "2026-03-05T10:00:00+02:00", "2026-02-26T08:00:00+00:00", "2026-03-05T08:00:00+00:00")]
    public void Stats_take_either_bound_and_default_the_other(string name, string value, string from, string to)
    {
        var query = SessionStatsQuery.Parse(new QueryCollection(new Dictionary<string, StringValues> { [name] = value }), new SessionOptions(), new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero));

        Assert.Equal(new SessionStatsQuery(DateTimeOffset.Parse(from), DateTimeOffset.Parse(to)), query.Value);
    }

    private static SessionOptions Resolve(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.AddRecordingSessions();
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<SessionOptions>>().Value;
    }
}
