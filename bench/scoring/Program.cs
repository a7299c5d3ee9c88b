// Where ScoreSearchWindows spends its time: the whole call (float32, bfloat16) on the benchmark's model and slice, and
// the same-shaped tensor operations one by one (layer-1 conv, crop + bias + activation, layer 2 as GEMM or 1x1 conv).
// Usage: dotnet bench/scoring/bin/Release/net10.0/ScoringBench.dll <work-dir-of-Invoke-Benchmarks> [shared-data]
using System.Diagnostics;
using System.Text.Json;
using DeepSim.Learning;
using DeepSim.Patches;
using DeepSim.Runtime;
using DeepSim.Tests.Learning;
using static TorchSharp.torch;

var work = args[0];
var data = args.Length > 1 ? args[1] : "../shared/data";
var model = (SimilarityModel)ModelFile.Load(Path.Combine(work, "model.dsm"));
var ct = TestPatchSampler.LoadPng(Path.Combine(data, "ct-mr-head/CT/2004.png"));
var mr = TestPatchSampler.LoadPng(Path.Combine(data, "ct-mr-head/MR/2004.png"));
using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(work, "input.json")));
var centres = doc.RootElement.GetProperty("centres").EnumerateArray().Select(c => new PatchCenter(c[0].GetInt32(), c[1].GetInt32())).ToList();
var scores = new float[centres.Count * 6561];
TorchRuntime.EnsureInitialized();
Console.WriteLine($"threads {get_num_threads()}, interop {get_num_interop_threads()}, queries/batch {model.QueriesPerBatch(40)}");
model.ScoreSearchWindows(ct, mr, centres.Take(4).ToList(), 17, 40, scores);
foreach (var p in new[] { ScoringPrecision.Float32, ScoringPrecision.BFloat16, ScoringPrecision.Float32 })
{
    model.Precision = p;
    var sw = Stopwatch.StartNew();
    model.ScoreSearchWindows(ct, mr, centres, 17, 40, scores);
    Console.WriteLine($"ScoreSearchWindows {p}: {sw.Elapsed.TotalSeconds:F2} s, {SearchWindowFlops.Executed(model, centres, 40) / sw.Elapsed.TotalSeconds / 1e9:F0} GFLOP/s executed");
}

using var scope = NewDisposeScope();
using var ng = no_grad();
var qb = model.QueriesPerBatch(40);
var rows = (long)qb * 6561;
Time("conv2d 1x240x240 with 578 17x17 filters", 2.0 * 578 * 289 * 224 * 224, () => nn.functional.conv2d(rand(1, 1, 240, 240), rand(578, 1, 17, 17)));
var features = rand(224, 224, 578);
Time($"stack {qb} crops + add + sigmoid", 1, () => stack(Enumerable.Range(0, qb).Select(q => features.narrow(0, q, 81).narrow(1, q, 81)).ToArray(), 0).add_(rand(qb, 1, 1, 578)).sigmoid_());
var h = rand(rows, 578);
var w2 = rand(300, 578);
var b2 = rand(300);
Time($"linear [{rows}x578]x[578x300] (MKL sgemm)", 2.0 * rows * 578 * 300, () => nn.functional.linear(h, w2, b2));
var hc = h.view(qb, 81, 81, 578).permute(0, 3, 1, 2);
Time("1x1 conv2d 578->300 channels-last (oneDNN)", 2.0 * rows * 578 * 300, () => nn.functional.conv2d(hc, w2.view(300, 578, 1, 1), b2));
var hcc = hc.contiguous();
Time("1x1 conv2d 578->300 NCHW (oneDNN)", 2.0 * rows * 578 * 300, () => nn.functional.conv2d(hcc, w2.view(300, 578, 1, 1), b2));
Time("sigmoid_ [rows x 578]", 0, () => h.sigmoid_());
var a = rand(4096, 4096);
Time("matmul 4096^3", 2.0 * 4096 * 4096 * 4096, () => a.matmul(a));

static void Time(string what, double flops, Func<Tensor> op)
{
    using (NewDisposeScope()) { op(); }
    var best = double.MaxValue;
    for (var i = 0; i < 3; i++)
    {
        using var s = NewDisposeScope();
        var sw = Stopwatch.StartNew();
        op();
        best = Math.Min(best, sw.Elapsed.TotalSeconds);
    }

    Console.WriteLine($"{what}: {best * 1000:F0} ms{(flops > 0 ? $", {flops / best / 1e9:F0} GFLOP/s" : string.Empty)}");
}
