using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Recorder.Infra.Tests.Support;
using Xunit;

namespace Recorder.Infra.Tests;

/// <summary>
/// Issue 17, items 2 and 5: the Functions host runs under one pinned host id on every replica and revision, and the
/// ingest numbers agree: a seekable copy of the largest upload fits the replica's disk budget, and ends before the host's
/// functionTimeout. Read from the compiled main template and host.json.
/// </summary>
[Collection(BicepCollection.Name)]
public sealed partial class FunctionsHostTests(BicepFixture bicep)
{
    private const long GiB = 1L << 30;

    [Fact]
    public void Every_replica_and_revision_shares_one_pinned_host_id_of_at_most_32_lower_case_characters()
    {
        var main = bicep.Main;
        Assert.Contains("createObject('name', 'AzureFunctionsWebHost__hostid', 'value', variables('functionsHostId'))", bicep.CompiledText("main.bicep"), StringComparison.Ordinal);
        Assert.Equal("[variables('functionsHostId')]", Json.Text(main.Outputs["FUNCTIONS_HOST_ID"]!["value"]));

        // A fixed prefix and the environment's token: the same for every replica and revision of the environment.
        var hostId = HostIdFormat().Match(Json.Text(main.Variables["functionsHostId"]) ?? "");
        Assert.True(hostId.Success, Json.Text(main.Variables["functionsHostId"]));
        Assert.Equal("[toLower(uniqueString(subscription().id, parameters('environmentName'), parameters('location')))]", Json.Text(main.Variables["resourceToken"]));

        // uniqueString is 13 characters of [a-z0-9]; the host accepts lower-case letters, digits and single inner dashes, 32 at most.
        foreach (var token in new[] { "abcdefghijklm", "0123456789xyz" })
        {
            var sample = hostId.Groups["prefix"].Value + token;
            Assert.True(sample.Length <= 32, $"{sample} is longer than 32 characters");
            Assert.Matches("^[a-z0-9](?:[a-z0-9]|-(?!-))*[a-z0-9]$", sample);
        }
    }

    [Fact]
    public void A_seekable_copy_of_the_largest_upload_fits_the_replica_disk_budget()
    {
        var main = bicep.Main;
        var cpu = Json.Text(main.DefaultOf("functionsCpu"))!;
        var ephemeral = main.Variables["replicaEphemeralStorageGiB"]!.AsObject();

        // Every allowed size has the disk Container Apps gives it (Consumption: 0.5 vCPU 2 GiB, up to 1 vCPU 4 GiB, over 1 vCPU 8 GiB).
        Assert.All(Json.Strings(main.Parameters["functionsCpu"]!["allowedValues"]), allowed =>
            Assert.Equal(DocumentedEphemeralStorageGiB(decimal.Parse(allowed, CultureInfo.InvariantCulture)), Json.Number(ephemeral[allowed])));
        Assert.Equal($"{2 * decimal.Parse(cpu, CultureInfo.InvariantCulture):0.#}Gi", Json.Text(main.DefaultOf("functionsMemory")));

        Assert.Equal("[sub(variables('replicaEphemeralStorageGiB')[parameters('functionsCpu')], variables('seekableCopyDiskHeadroomGiB'))]", Json.Text(main.Variables["seekableCopyDiskBudgetGiB"]));
        var headroom = Json.Number(main.Variables["seekableCopyDiskHeadroomGiB"])!.Value;
        Assert.InRange(headroom, 1, 4);
        var budget = (Json.Number(ephemeral[cpu])!.Value - headroom) * GiB;
        var largestUpload = main.DefaultOf("recordingsMaxFileSizeBytes")!.GetValue<long>();
        Assert.True(largestUpload <= budget, $"the largest upload ({largestUpload} bytes) does not fit the seekable-copy disk budget ({budget} bytes) of a {cpu}-vCPU replica");

        // The app gets that budget, and the template refuses sizes that would not fit it.
        Assert.Contains(
            "createObject('name', 'Ingest__SeekableCopyDiskBudgetBytes', 'value', string(variables('seekableCopyDiskBudgetBytes')))",
            bicep.CompiledText("main.bicep"),
            StringComparison.Ordinal);
        Assert.StartsWith(
            "[if(greater(parameters('recordingsMaxFileSizeBytes'), mul(variables('seekableCopyDiskBudgetGiB'), 1073741824)), fail(",
            Json.Text(main.Variables["seekableCopyDiskBudgetBytes"]),
            StringComparison.Ordinal);
    }

    [Fact]
    public void A_seekable_copy_ends_before_the_host_times_the_function_out()
    {
        var functionTimeout = TimeSpan.Parse(Json.Text(JsonNode.Parse(Repository.ReadText("host.json"))!["functionTimeout"])!, CultureInfo.InvariantCulture);
        var azure = TimeSpan.Parse(Json.Text(bicep.Main.DefaultOf("seekableCopyTimeout"))!, CultureInfo.InvariantCulture);
        Assert.Contains("createObject('name', 'Ingest__SeekableCopyTimeout', 'value', parameters('seekableCopyTimeout'))", bicep.CompiledText("main.bicep"), StringComparison.Ordinal);

        // The app's own default (the dev host and tests) too.
        var source = Repository.ReadText("functions", "Recorder.Core", "Ingest", "IngestOptions.cs");
        var appDefault = AppDefaultTimeout().Match(source);
        Assert.True(appDefault.Success, "IngestOptions.SeekableCopyTimeout has no TimeSpan.FromMinutes default");

        // Room for the queue message's own bookkeeping after the copy gives up.
        foreach (var (where, timeout) in new[] { ("main.bicep", azure), ("IngestOptions", TimeSpan.FromMinutes(int.Parse(appDefault.Groups[1].Value, CultureInfo.InvariantCulture))) })
        {
            Assert.True(timeout + TimeSpan.FromMinutes(5) <= functionTimeout, $"{where}: a seekable copy may take {timeout}, host.json functionTimeout is {functionTimeout}");
        }
    }

    // learn.microsoft.com/azure/container-apps/storage-mounts, "Ephemeral storage".
    private static int DocumentedEphemeralStorageGiB(decimal cpu) => cpu switch
    {
        <= 0.25m => 1,
        <= 0.5m => 2,
        <= 1m => 4,
        _ => 8,
    };

    [GeneratedRegex(@"^\[format\('(?<prefix>[a-z0-9-]+)\{0\}', variables\('resourceToken'\)\)\]$")]
    private static partial Regex HostIdFormat();

    [GeneratedRegex(@"SeekableCopyTimeout \{ get; set; \} = TimeSpan\.FromMinutes\((\d+)\);")]
    private static partial Regex AppDefaultTimeout();
}
