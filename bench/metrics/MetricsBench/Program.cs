// Benchmark of the classical metrics' search-window scoring (issue 6): 300 queries x 6,561 candidates of 17x17
// patches on a real CT/MR pair, against the scikit-image loop and a vectorised NumPy NMI (nmi_skimage.py,
// nmi_numpy.py), which read the same images and centres from the files this driver writes.
//
// dotnet run -c Release --project bench/metrics/MetricsBench -- [--data ../shared/data] [--out /tmp/deepsim-bench]
//     [--skimage-queries 10] [--numpy-queries 30] [--repeat 3] [--maps first-query-maps.png] [--timing off]
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using DeepSim.Evaluation;
using DeepSim.Imaging;
using DeepSim.Reporting;
using DeepSim.Similarity;
using SkiaSharp;

var arguments = ParseArguments(args);
var dataRoot = arguments.GetValueOrDefault("data") ?? FindData();
var outFolder = arguments.GetValueOrDefault("out") ?? Path.Combine(Path.GetTempPath(), "deepsim-metrics-bench");
var skimageQueries = int.Parse(arguments.GetValueOrDefault("skimage-queries") ?? "10", CultureInfo.InvariantCulture);
var numpyQueries = int.Parse(arguments.GetValueOrDefault("numpy-queries") ?? "30", CultureInfo.InvariantCulture);
var repeat = int.Parse(arguments.GetValueOrDefault("repeat") ?? "3", CultureInfo.InvariantCulture);
var python = arguments.GetValueOrDefault("python") ?? "/usr/bin/python3";
Directory.CreateDirectory(outFolder);

var ct = LoadGrey(Path.Combine(dataRoot, "ct-mr-head", "CT", "2004.png"));
var mr = LoadGrey(Path.Combine(dataRoot, "ct-mr-head", "MR", "2004.png"));
var options = new PredictionErrorOptions();
var mask = ct.GetVoxels().Select(v => v > 10).ToArray();
var centres = PredictionErrorProtocol.SelectCenters(mask, ct.SizeX, ct.SizeY, options);
var w = options.WindowWidth;
var pairs = (long)centres.Count * w * w;

// The shared input of the Python peers: raw float32 images and the centres.
File.WriteAllBytes(Path.Combine(outFolder, "fixed.f32"), ToBytes(ct.GetVoxels()));
File.WriteAllBytes(Path.Combine(outFolder, "moving.f32"), ToBytes(mr.GetVoxels()));
var inputPath = Path.Combine(outFolder, "input.json");
File.WriteAllText(inputPath, JsonSerializer.Serialize(new
{
    width = ct.SizeX,
    height = ct.SizeY,
    patch = options.PatchSize,
    radius = options.SearchRadius,
    bins = 32,
    fixedPath = "fixed.f32",
    movingPath = "moving.f32",
    centres = centres.Select(c => new[] { c.X, c.Y }).ToArray(),
}));

Console.Error.WriteLine($"{ct.SizeX}x{ct.SizeY} CT/MR 2004, {centres.Count} queries x {w * w} candidates = {pairs:N0} pairs, {Environment.ProcessorCount} cores");
var results = new List<object>();
var scores = new float[pairs];
var specs = new (string Label, Func<int, ISimilarityMetric> Create)[]
{
    ("NMI (image range)", t => new NormalizedMutualInformationMetric { MaxDegreeOfParallelism = t }),
    ("NMI (per-patch range, as scikit-image)", t => new NormalizedMutualInformationMetric(HistogramBinning.PerPatch()) { MaxDegreeOfParallelism = t }),
    ("LCC (5x5, squared)", t => new LocalCrossCorrelationMetric { MaxDegreeOfParallelism = t }),
    ("MI (image range)", t => new MutualInformationMetric { MaxDegreeOfParallelism = t }),
    ("NCC", t => new NormalizedCrossCorrelationMetric { MaxDegreeOfParallelism = t }),
    ("CorrelationRatio", t => new CorrelationRatioMetric { MaxDegreeOfParallelism = t }),
};

float[]? perPatchScores = null;
var timing = arguments.GetValueOrDefault("timing") != "off";
foreach (var (label, create) in timing ? specs : [])
{
    foreach (var threads in new[] { 0, 1 })
    {
        var metric = create(threads);

        // Warm-up (JIT, tiering) on a few queries.
        metric.ScoreSearchWindows(ct, mr, centres.Take(4).ToArray(), options.PatchSize, options.SearchRadius, scores);
        var times = new List<double>();
        var cpuTimes = new List<double>();
        for (var r = 0; r < (threads == 1 ? 1 : repeat); r++)
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var sw = Stopwatch.StartNew();
            metric.ScoreSearchWindows(ct, mr, centres, options.PatchSize, options.SearchRadius, scores);
            times.Add(sw.Elapsed.TotalSeconds);
            cpuTimes.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
        }

        var best = times.Min();
        var bestCpu = cpuTimes.Min();
        var threadLabel = threads == 1 ? "1 thread" : $"{Environment.ProcessorCount} threads";
        Console.Error.WriteLine(FormattableString.Invariant($"DeepSim {label,-40} {threadLabel,-10} wall {best,7:F2} s {best * 1e6 / pairs,7:F3} us/pair   cpu {bestCpu,7:F2} s {bestCpu * 1e6 / pairs,7:F3} us/pair"));
        results.Add(new { peer = "DeepSim", metric = label, threads = threads == 1 ? 1 : Environment.ProcessorCount, pairs, seconds = best, usPerPair = best * 1e6 / pairs, cpuSeconds = bestCpu, cpuUsPerPair = bestCpu * 1e6 / pairs, runs = times });
        if (label.StartsWith("NMI (per-patch", StringComparison.Ordinal) && threads == 0)
        {
            perPatchScores = (float[])scores.Clone();
        }
    }
}

// The Python peers on a subset of the same queries; their scores are checked against DeepSim's per-patch NMI.
var scriptFolder = Path.GetDirectoryName(Path.GetDirectoryName(FindThisFolder()))!;
foreach (var (script, queries) in new[] { ("nmi_skimage.py", skimageQueries), ("nmi_numpy.py", numpyQueries) })
{
    if (queries <= 0 || !File.Exists(python) || perPatchScores is null)
    {
        continue;
    }

    var scoresOut = Path.Combine(outFolder, Path.ChangeExtension(script, ".f32"));
    var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, UseShellExecute = false };
    foreach (var a in new[] { Path.Combine(scriptFolder, script), inputPath, "--queries", queries.ToString(CultureInfo.InvariantCulture), "--scores", scoresOut })
    {
        psi.ArgumentList.Add(a);
    }

    using var process = Process.Start(psi)!;
    var output = process.StandardOutput.ReadToEnd();
    process.WaitForExit();
    if (process.ExitCode != 0)
    {
        Console.Error.WriteLine($"{script} failed ({process.ExitCode})");
        continue;
    }

    var peer = JsonDocument.Parse(output).RootElement;
    var peerScores = FromBytes(File.ReadAllBytes(scoresOut));
    var maxDiff = 0.0;
    for (var i = 0; i < peerScores.Length; i++)
    {
        maxDiff = Math.Max(maxDiff, Math.Abs(peerScores[i] - perPatchScores![i]));
    }

    var us = peer.GetProperty("usPerPair").GetDouble();
    var cpuUs = peer.GetProperty("cpuUsPerPair").GetDouble();
    Console.Error.WriteLine(FormattableString.Invariant($"{script,-15} {peer.GetProperty("pairs").GetInt64(),10:N0} pairs  wall {peer.GetProperty("seconds").GetDouble(),7:F2} s {us,8:F3} us/pair   cpu {cpuUs,8:F3} us/pair   max |score - DeepSim per-patch NMI| = {maxDiff:G3}"));
    results.Add(new { peer = script, metric = "NMI (per-patch range)", threads = 1, pairs = peer.GetProperty("pairs").GetInt64(), seconds = peer.GetProperty("seconds").GetDouble(), usPerPair = us, cpuUsPerPair = cpuUs, maxAbsDifferenceFromDeepSim = maxDiff });
}

// The whole protocol with every built-in metric on this pair, with bootstrap intervals (issue 3's numbers).
var protocolWatch = Stopwatch.StartNew();
var perPatch = new ClassicalMetricOptions { Binning = HistogramBinning.PerPatch() };
ISimilarityMetric[] protocolMetrics =
[
    .. MetricRegistry.Names.Select(n => MetricRegistry.Create(n)),
    MetricRegistry.Create("NMI", perPatch), MetricRegistry.Create("MI", perPatch), MetricRegistry.Create("CorrelationRatio", perPatch),
];
var protocol = PredictionErrorProtocol.Run(protocolMetrics, ct, mr, centres, options);
var protocolSeconds = protocolWatch.Elapsed.TotalSeconds;
var protocolResults = new List<object>();
for (var i = 0; i < protocol.Count; i++)
{
    var r = protocol[i];
    var binning = protocolMetrics[i] switch
    {
        InformationTheoreticMetric m => m.Binning.Mode.ToString(),
        CorrelationRatioMetric m => m.Binning.Mode.ToString(),
        _ => string.Empty,
    };
    var ci = BootstrapInterval.Compute(r, 2000, 1);
    Console.Error.WriteLine(FormattableString.Invariant($"protocol {r.Metric + " " + binning,-26} mean {ci.Mean}  median {ci.Median}  std {ci.Std}  hit rate {ci.HitRate}  P90 {r.P90:F1}"));
    protocolResults.Add(new { r.Metric, binning, r.Count, r.MeanError, r.MedianError, r.StdError, r.HitRate, r.P75, r.P90, r.P95, bootstrap = ci });
}

if (arguments.GetValueOrDefault("maps") is { } mapsPath)
{
    // Maps of the first query for each metric, side by side, to look at what the numbers mean.
    var maps = MetricRegistry.Names.Select(n => SimilarityMap.Compute(MetricRegistry.Create(n), ct, mr, centres[0], options.PatchSize, options.SearchRadius, SearchOffset.Zero)).ToList();
    SimilarityMapRenderer.WritePng(maps, mapsPath);
    Console.Error.WriteLine($"maps of query {centres[0]} written to {mapsPath}");
}

Console.Error.WriteLine(FormattableString.Invariant($"protocol: {protocolMetrics.Length} metrics x {centres.Count} queries in {protocolSeconds:F1} s wall"));
Console.Error.WriteLine($"load average: {(File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Trim() : "n/a")}");
Console.WriteLine(JsonSerializer.Serialize(new { image = "ct-mr-head 2004 CT/MR", queries = centres.Count, candidates = w * w, results, protocol = protocolResults, protocolSeconds }, new JsonSerializerOptions { WriteIndented = true }));

static MedicalImage LoadGrey(string path)
{
    using var bitmap = SKBitmap.Decode(path) ?? throw new InvalidOperationException($"cannot decode {path}");
    var voxels = new float[bitmap.Width * bitmap.Height];
    for (var y = 0; y < bitmap.Height; y++)
    {
        for (var x = 0; x < bitmap.Width; x++)
        {
            voxels[(y * bitmap.Width) + x] = bitmap.GetPixel(x, y).Red;
        }
    }

    return new MedicalImage(voxels, bitmap.Width, bitmap.Height, 1, sourcePath: path, format: "PNG");
}

static byte[] ToBytes(float[] values)
{
    var bytes = new byte[values.Length * 4];
    Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
    return bytes;
}

static float[] FromBytes(byte[] bytes)
{
    var values = new float[bytes.Length / 4];
    Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
    return values;
}

static Dictionary<string, string> ParseArguments(string[] args)
{
    var result = new Dictionary<string, string>();
    for (var i = 0; i + 1 < args.Length; i += 2)
    {
        result[args[i].TrimStart('-')] = args[i + 1];
    }

    return result;
}

static string FindThisFolder([System.Runtime.CompilerServices.CallerFilePath] string path = "") => path;

static string FindData()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "DeepSim.sln")))
    {
        dir = dir.Parent;
    }

    return Path.Combine(dir?.Parent?.FullName ?? ".", "shared", "data");
}
