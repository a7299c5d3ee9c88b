// Measures the learned metric's cost on real data (T1/PD slices):
//   1. SDAE pre-training + fine-tuning in the paper configuration on 2,000 + 2,000 pairs;
//   2. ScoreSearchWindows for 300 queries at R = 40, P = 17 (float32 and bfloat16), as time and GFLOP/s;
//   3. a plain float32 4096^3 matmul in the same process, as the machine's reference rate.
// Usage: dotnet run -c Release --project bench/learning -- [shared-data-folder] [sdae-epochs] [fine-tune-epochs] [t1pd|ctmr] [max-negative-shift]
// With ctmr, pairs come from 12 CT/MR head slices whose MI peak is at zero shift, and the search windows are scored on
// 4 other such slices (75 queries each).
using System.Diagnostics;
using DeepSim.Imaging;
using DeepSim.Learning;
using DeepSim.Runtime;
using DeepSim.Tests.Learning;
using static TorchSharp.torch;

var dataRoot = args.Length > 0 ? args[0] : Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "shared", "data"));
var sdaeEpochs = args.Length > 1 ? int.Parse(args[1]) : 20;
var fineEpochs = args.Length > 2 ? int.Parse(args[2]) : 20;
const int patch = 17;
const int radius = 40;
const int queries = 300;

var info = RuntimeInfo.Probe();
Console.WriteLine($"TorchSharp {info.TorchSharpVersion}, threads {info.Threads}, OMP_WAIT_POLICY {info.OmpWaitPolicy}, {Environment.ProcessorCount} logical CPUs");

var dataset = args.Length > 3 ? args[3] : "t1pd";
var maxShift = args.Length > 4 ? int.Parse(args[4]) : 20;
List<(MedicalImage Fixed, MedicalImage Moving)> trainImages, searchImages;
if (dataset == "ctmr")
{
    var aligned = File.ReadAllLines(Path.Combine(dataRoot, "ct-mr-head", "mi-peak-shift.tsv")).Skip(1)
        .Select(l => l.Split('\t')).Where(f => f[1] == "0" && f[2] == "0").Select(f => f[0]).ToList();
    var slices = aligned.Select(f => (TestPatchSampler.LoadPng(Path.Combine(dataRoot, "ct-mr-head", "CT", f)), TestPatchSampler.LoadPng(Path.Combine(dataRoot, "ct-mr-head", "MR", f)))).ToList();
    trainImages = slices.Where((_, i) => i % 4 != 3).ToList();
    searchImages = slices.Where((_, i) => i % 4 == 3).ToList();
    Console.WriteLine($"CT/MR: {aligned.Count} zero-shift slices, training on {trainImages.Count}, searching on {searchImages.Count} others");
}
else
{
    var t1Image = TestPatchSampler.LoadPng(Path.Combine(dataRoot, "mr-t1-pd-slice", "BrainT1Slice.png"));
    var pdImage = TestPatchSampler.LoadPng(Path.Combine(dataRoot, "mr-t1-pd-slice", "BrainProtonDensitySlice.png"));
    trainImages = [(t1Image, pdImage)];
    searchImages = [(t1Image, pdImage)];
}

var pairs = new List<DeepSim.Patches.PatchPair>();
for (var i = 0; i < trainImages.Count; i++)
{
    var share = 2000 / trainImages.Count + (i < 2000 % trainImages.Count ? 1 : 0);
    pairs.AddRange(TestPatchSampler.Sample(trainImages[i].Fixed, trainImages[i].Moving, share, share, patch, seed: 1 + i, maxShift: maxShift));
}

Console.WriteLine($"{pairs.Count} {dataset} pairs ({pairs.Count(p => p.IsMatch)} match), patch {patch}, negatives shifted 2..{maxShift} px");

var sw = Stopwatch.StartNew();
var sdae = SdaeTrainer.Train(pairs, new SdaeOptions { EpochsPerLayer = sdaeEpochs });
var sdaeSeconds = sw.Elapsed.TotalSeconds;
Console.WriteLine($"SDAE {string.Join("-", sdae.EncoderSizes)}, {sdaeEpochs} epochs/layer: {sdaeSeconds:F1} s");
foreach (var ae in sdae.Autoencoders)
{
    Console.WriteLine($"  level {ae.Level} {ae.Name,-6}: reconstruction MSE {ae.EpochReconstructionErrors[0]:F4} -> {ae.ReconstructionError:F4}, mean activation {ae.MeanHiddenActivation:F3}");
}

sw.Restart();
var model = SimilarityTrainer.Train(pairs, new SimilarityTrainingOptions { Epochs = fineEpochs, EarlyStoppingPatience = null }, sdae, name: "bench-t1pd");
var fineSeconds = sw.Elapsed.TotalSeconds;
var last = model.History[^1];
Console.WriteLine($"Fine-tuning {string.Join("-", model.LayerSizes)}, {model.History.Count} epochs: {fineSeconds:F1} s; last epoch train acc {last.TrainAccuracy:F3}, validation acc {last.ValidationAccuracy:F3}; best epoch {model.BestEpoch}");
Console.WriteLine($"SDAE + fine-tuning total: {sdaeSeconds + fineSeconds:F1} s");

var perImage = queries / searchImages.Count;
var searches = searchImages.Select((im, i) => (im.Fixed, im.Moving, Centres: TestPatchSampler.Centres(im.Fixed, perImage, patch, radius, seed: 3 + i))).ToList();
var positions = ((2 * radius) + 1) * ((2 * radius) + 1);
var scores = new float[queries * positions];
model.ScoreSearchWindows(searches[0].Fixed, searches[0].Moving, searches[0].Centres.Take(2).ToList(), patch, radius, scores); // warm-up
var fastFlops = SearchWindowFlops.PerQueryWindows(model, queries, radius);
var naiveFlops = SearchWindowFlops.Naive(model, queries, radius);
foreach (var precision in new[] { ScoringPrecision.Float32, ScoringPrecision.BFloat16 })
{
    model.Precision = precision;
    sw.Restart();
    var offset = 0;
    foreach (var (fixedImage, movingImage, centres) in searches)
    {
        model.ScoreSearchWindows(fixedImage, movingImage, centres, patch, radius, scores.AsSpan(offset * positions));
        offset += centres.Count;
    }

    var s = sw.Elapsed.TotalSeconds;
    var hits = 0;
    for (var q = 0; q < queries; q++)
    {
        var best = 0;
        for (var i = 1; i < positions; i++)
        {
            if (scores[(q * positions) + i] > scores[(q * positions) + best])
            {
                best = i;
            }
        }

        var dy = (best / ((2 * radius) + 1)) - radius;
        var dx = (best % ((2 * radius) + 1)) - radius;
        hits += Math.Abs(dx) <= 1 && Math.Abs(dy) <= 1 ? 1 : 0;
    }

    Console.WriteLine($"ScoreSearchWindows {precision}: {queries} queries x {positions} candidates (R={radius}, P={patch}), {model.QueriesPerBatch(radius)} queries/batch: {s:F2} s, " +
        $"{fastFlops / s / 1e9:F1} GFLOP/s executed ({fastFlops / 1e9:F0} GFLOP), naive-equivalent {naiveFlops / s / 1e9:F1} GFLOP/s ({naiveFlops / 1e9:F0} GFLOP); best candidate within 1 px of truth on {hits}/{queries} queries");
}

TorchRuntime.EnsureInitialized();
using (var scope = NewDisposeScope())
using (no_grad())
{
    var g = new Generator(7, CPU);
    var a = randn([4096, 4096], generator: g);
    var b = randn([4096, 4096], generator: g);
    a.matmul(b).Dispose();
    const int reps = 3;
    sw.Restart();
    for (var i = 0; i < reps; i++)
    {
        a.matmul(b).Dispose();
    }

    var s = sw.Elapsed.TotalSeconds / reps;
    Console.WriteLine($"Reference float32 matmul 4096^3: {s:F2} s each, {2.0 * 4096 * 4096 * 4096 / s / 1e9:F1} GFLOP/s");
}
