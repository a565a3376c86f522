using Recorder.Bench.Burst;
using Recorder.Bench.Common;
using Recorder.Bench.Database;
using Recorder.Bench.Ingest;
using Recorder.Bench.LiveUploads;
using Recorder.Bench.Mixed;
using Recorder.Bench.Soak;
using Recorder.Bench.Sweeps;
using Recorder.Bench.Uploads;

// scripts/bench.sh runs each benchmark as `Recorder.Bench <name> [--option value ...]`; `host` is the
// child process the HTTP benchmarks start (the dev host plus a ping function).
if (args.Length == 0)
{
    Console.Error.WriteLine("usage: Recorder.Bench uploads|ingest|live-upload|database|mixed|sweeps|burst|soak [--option value ...]");
    return 2;
}
if (args[0] == "host")
{
    return BenchHost.Run(args[1..]);
}

var options = new BenchOptions(args[1..], Environment.GetEnvironmentVariable("RECORDER_BENCH_COMMAND") ?? "Recorder.Bench " + string.Join(' ', args));
return args[0] switch
{
    "uploads" => await UploadsBench.RunAsync(options),
    "ingest" => await IngestBench.RunAsync(options),
    "live-upload" => await LiveUploadBench.RunAsync(options),
    "database" => await ScaleBench.RunAsync(options),
    "mixed" => await MixedBench.RunAsync(options),
    "burst" => await BurstBench.RunAsync(options),
    "soak" => await SoakBench.RunAsync(options),
    "sweeps" => await SweepBench.RunAsync(options),
    _ => Fail(args[0]),
};

static int Fail(string name)
{
    Console.Error.WriteLine($"unknown benchmark '{name}'");
    return 2;
}
