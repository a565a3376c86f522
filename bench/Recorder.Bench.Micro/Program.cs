using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Recorder.Bench.Common;
using Recorder.Bench.Micro;

// In-process toolchain: no generated project to build, so a run takes a minute, not five.
var config = ManualConfig.CreateMinimumViable()
    .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).WithWarmupCount(5).WithIterationCount(15))
    .WithOptions(ConfigOptions.DisableOptimizationsValidator);
var summary = BenchmarkRunner.Run<SasSigningBenchmarks>(config, args);

var file = new ResultFile("sas-signing", "SAS signing: ns per upload URL");
file.Line("BenchmarkDotNet " + typeof(BenchmarkRunner).Assembly.GetName().Version + ", in-process, Release; " +
    "5 warm-up and 15 measured iterations. Baseline (same run): one HMAC-SHA256 over a string-to-sign of the same size as a blob SAS's.");
file.Section("Figures");
var baseline = summary.Reports.Single(r => r.BenchmarkCase.Descriptor.Baseline).ResultStatistics!.Mean;
file.Table(["Benchmark", "Mean ns/op", "StdDev ns", "Median ns", "Allocated B/op", "Ratio to HMAC"], summary.Reports.Select(report =>
{
    var stats = report.ResultStatistics!;
    return (IReadOnlyList<string>)
    [
        report.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo.Trim('\''),
        stats.Mean.ToString("N0", CultureInfo.InvariantCulture),
        stats.StandardDeviation.ToString("N0", CultureInfo.InvariantCulture),
        stats.Median.ToString("N0", CultureInfo.InvariantCulture),
        (report.GcStats.GetBytesAllocatedPerOperation(report.BenchmarkCase) ?? 0).ToString("N0", CultureInfo.InvariantCulture),
        (stats.Mean / baseline).ToString("0.0", CultureInfo.InvariantCulture) + "×",
    ];
}));
file.Line();
var upload = summary.Reports.Max(r => r.ResultStatistics!.Mean);
file.Line(string.Create(CultureInfo.InvariantCulture,
    $"The slower path: {upload / 1000:0.0} µs per URL on this machine during this run; compare with the host CPU per request in bench/results/upload-urls.md."));
Console.WriteLine(file.Write(FindRepositoryRoot(), Environment.GetEnvironmentVariable("RECORDER_BENCH_COMMAND") ?? "dotnet run -c Release --project bench/Recorder.Bench.Micro"));
return 0;

static string FindRepositoryRoot()
{
    for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
    {
        if (File.Exists(Path.Combine(directory.FullName, "Recorder.Functions.sln")))
        {
            return directory.FullName;
        }
    }
    throw new InvalidOperationException($"No Recorder.Functions.sln above {AppContext.BaseDirectory}.");
}
