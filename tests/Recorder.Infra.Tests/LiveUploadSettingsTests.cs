using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Recorder.Infra.Tests.Support;
using Xunit;

namespace Recorder.Infra.Tests;

/// <summary>
/// The live-upload settings (docs/ingest.md, "Live uploads") reach the app from parameters bounded as the app's own validator
/// bounds them, with the app's defaults, in the form the app reads; azd passes them with the same defaults.
/// </summary>
[Collection(BicepCollection.Name)]
public sealed partial class LiveUploadSettingsTests(BicepFixture bicep)
{
    private static readonly string Options = Repository.ReadText("functions", "Recorder.Core", "LiveUploads", "LiveUploadOptions.cs");

    private static readonly int MaxCommittedBlocks = int.Parse(
        MaxCommittedBlocksConstant().Match(Repository.ReadText("functions", "Recorder.Core", "LiveUploads", "StagedBlocks.cs"))
            .Groups[1].Value.Replace("_", "", StringComparison.Ordinal), CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("LiveUpload__SilenceTimeout", "__bicep.timeSpanOfSeconds(parameters('liveUploadSilenceTimeoutSeconds'))")]
    [InlineData("LiveUpload__MaxBlocks", "string(parameters('liveUploadMaxBlocks'))")]
    [InlineData("LiveUpload__SweepBatchSize", "string(parameters('liveUploadSweepBatchSize'))")]
    [InlineData("LiveUpload__BlockListReadInterval", "variables('liveUploadBlockListReadInterval')")]
    public void The_app_gets_the_setting_from_its_parameter(string setting, string value)
        => Assert.Contains($"createObject('name', '{setting}', 'value', {value})", bicep.CompiledText("main.bicep"),
            StringComparison.Ordinal);

    [Fact]
    public void The_silence_timeout_is_bounded_as_the_app_bounds_it_with_the_app_s_default()
    {
        var bounds = SilenceBounds().Match(Options);
        Assert.True(bounds.Success, "LiveUploadOptionsValidator no longer bounds SilenceTimeout by TotalSeconds and TotalDays");
        var appDefault = SilenceDefault().Match(Options);
        Assert.True(appDefault.Success, "LiveUploadOptions.SilenceTimeout has no TimeSpan.FromMinutes default");
        AssertParameter("liveUploadSilenceTimeoutSeconds", int.Parse(bounds.Groups[1].Value, CultureInfo.InvariantCulture),
            int.Parse(bounds.Groups[2].Value, CultureInfo.InvariantCulture) * 86400,
            int.Parse(appDefault.Groups[1].Value, CultureInfo.InvariantCulture) * 60);
    }

    [Fact]
    public void Max_blocks_is_bounded_by_storage_s_limit_with_the_app_s_default()
    {
        var bounds = MaxBlocksBounds().Match(Options);
        Assert.True(bounds.Success, "LiveUploadOptionsValidator no longer bounds MaxBlocks by StagedBlocks.MaxCommittedBlocks");
        Assert.Matches(@"MaxBlocks \{ get; set; \} = StagedBlocks\.MaxCommittedBlocks;", Options);
        Assert.Equal(50_000, MaxCommittedBlocks);
        AssertParameter("liveUploadMaxBlocks", int.Parse(bounds.Groups[1].Value, CultureInfo.InvariantCulture), MaxCommittedBlocks,
            MaxCommittedBlocks);
    }

    [Fact]
    public void The_sweep_batch_is_bounded_as_the_app_bounds_it_with_the_app_s_default()
    {
        var bounds = SweepBatchBounds().Match(Options);
        Assert.True(bounds.Success, "LiveUploadOptionsValidator no longer bounds SweepBatchSize by two numbers");
        var appDefault = SweepBatchDefault().Match(Options);
        Assert.True(appDefault.Success, "LiveUploadOptions.SweepBatchSize has no number as its default");
        AssertParameter("liveUploadSweepBatchSize", int.Parse(bounds.Groups[1].Value, CultureInfo.InvariantCulture),
            int.Parse(bounds.Groups[2].Value, CultureInfo.InvariantCulture),
            int.Parse(appDefault.Groups[1].Value, CultureInfo.InvariantCulture));
    }

    [Fact]
    public void The_block_list_read_interval_is_bounded_as_the_app_bounds_it_with_the_app_s_default()
    {
        var bounds = ReadIntervalBounds().Match(Options);
        Assert.True(bounds.Success, "LiveUploadOptionsValidator no longer bounds BlockListReadInterval by TotalSeconds");
        var appDefault = ReadIntervalDefault().Match(Options);
        Assert.True(appDefault.Success, "LiveUploadOptions.BlockListReadInterval has no TimeSpan.FromSeconds default");
        AssertParameter("liveUploadBlockListReadIntervalSeconds", int.Parse(bounds.Groups[1].Value, CultureInfo.InvariantCulture),
            int.Parse(bounds.Groups[2].Value, CultureInfo.InvariantCulture),
            int.Parse(appDefault.Groups[1].Value, CultureInfo.InvariantCulture));
        Assert.Contains("options.BlockListReadInterval * 2 > options.SilenceTimeout", Options, StringComparison.Ordinal);
    }

    /// <summary>
    /// What the compiled expression makes of the bounds, the default and the hour and day edges parses, as .NET's
    /// configuration binder parses a TimeSpan, to that many seconds ("24:00:00" would be 24 days).
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(59)]
    [InlineData(120)]
    [InlineData(3599)]
    [InlineData(3600)]
    [InlineData(86399)]
    [InlineData(86400)]
    public void The_silence_timeout_is_written_as_the_app_reads_it(int seconds)
    {
        var written = ArmExpression.Evaluate("[__bicep.timeSpanOfSeconds(parameters('liveUploadSilenceTimeoutSeconds'))]",
            new Dictionary<string, long> { ["liveUploadSilenceTimeoutSeconds"] = seconds }, bicep.Main);
        Assert.Equal(TimeSpan.FromSeconds(seconds), TimeSpan.Parse(written, CultureInfo.InvariantCulture));
    }

    /// <summary>The interval as the app reads it, and the template refuses one the app would refuse to start with.</summary>
    [Theory]
    [InlineData(0, 1, true)]
    [InlineData(5, 120, true)]
    [InlineData(60, 120, true)]
    [InlineData(60, 119, false)]
    [InlineData(5, 9, false)]
    public void The_block_list_read_interval_is_written_as_the_app_reads_it_or_refused_over_half_the_silence(
        int seconds, int silenceSeconds, bool accepted)
    {
        var parameters = new Dictionary<string, long>
        {
            ["liveUploadBlockListReadIntervalSeconds"] = seconds,
            ["liveUploadSilenceTimeoutSeconds"] = silenceSeconds,
        };
        string Written() => ArmExpression.Evaluate("[variables('liveUploadBlockListReadInterval')]", parameters, bicep.Main);

        if (accepted)
        {
            Assert.Equal(TimeSpan.FromSeconds(seconds), TimeSpan.Parse(Written(), CultureInfo.InvariantCulture));
        }
        else
        {
            Assert.Contains("at most half", Assert.Throws<ArmFailException>(Written).Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("liveUploadSilenceTimeoutSeconds", "RECORDER_LIVE_UPLOAD_SILENCE_TIMEOUT_SECONDS")]
    [InlineData("liveUploadMaxBlocks", "RECORDER_LIVE_UPLOAD_MAX_BLOCKS")]
    [InlineData("liveUploadSweepBatchSize", "RECORDER_LIVE_UPLOAD_SWEEP_BATCH_SIZE")]
    [InlineData("liveUploadBlockListReadIntervalSeconds", "RECORDER_LIVE_UPLOAD_BLOCK_LIST_READ_INTERVAL_SECONDS")]
    public void Azd_passes_the_parameter_with_main_bicep_s_default(string parameter, string variable)
    {
        var parameters = JsonNode.Parse(Repository.ReadText("infra", "bicep", "main.parameters.json"))!["parameters"]!;
        var supplied = Json.Text(parameters[parameter]?["value"]);
        Assert.Equal($"${{{variable}={bicep.Main.DefaultOf(parameter)!.GetValue<int>()}}}", supplied);
    }

    private void AssertParameter(string name, int min, int max, int appDefault)
    {
        var parameter = bicep.Main.Parameters[name]!;
        Assert.Equal("int", Json.Text(parameter["type"]));
        Assert.Equal(min, Json.Number(parameter["minValue"]));
        Assert.Equal(max, Json.Number(parameter["maxValue"]));
        Assert.Equal(appDefault, Json.Number(parameter["defaultValue"]));
    }

    [GeneratedRegex(@"SilenceTimeout\.TotalSeconds: < (\d+) \} or \{ SilenceTimeout\.TotalDays: > (\d+) \}")]
    private static partial Regex SilenceBounds();

    [GeneratedRegex(@"SilenceTimeout \{ get; set; \} = TimeSpan\.FromMinutes\((\d+)\);")]
    private static partial Regex SilenceDefault();

    [GeneratedRegex(@"MaxBlocks: < (\d+) or > StagedBlocks\.MaxCommittedBlocks \}")]
    private static partial Regex MaxBlocksBounds();

    [GeneratedRegex(@"SweepBatchSize: < (\d+) or > (\d+) \}")]
    private static partial Regex SweepBatchBounds();

    [GeneratedRegex(@"SweepBatchSize \{ get; set; \} = (\d+);")]
    private static partial Regex SweepBatchDefault();

    [GeneratedRegex(@"BlockListReadInterval\.TotalSeconds: < (\d+) or > (\d+) \}")]
    private static partial Regex ReadIntervalBounds();

    [GeneratedRegex(@"BlockListReadInterval \{ get; set; \} = TimeSpan\.FromSeconds\((\d+)\);")]
    private static partial Regex ReadIntervalDefault();

    [GeneratedRegex(@"MaxCommittedBlocks = ([\d_]+);")]
    private static partial Regex MaxCommittedBlocksConstant();
}
