using DeepSim.Imaging;
using DeepSim.Patches;
using DeepSim.Runtime;
using static TorchSharp.torch;

namespace DeepSim.Learning;

/// <summary>
/// Proves, once per process and libtorch thread count, that the fast search-window scoring plans give the reference
/// scores on this machine, and chooses the fastest plan that does (<see cref="ScoringKernels.Convolution"/>, then
/// <see cref="ScoringKernels.Gemm"/>, else <see cref="ScoringKernels.Reference"/>). A spot check during scoring that finds
/// a mismatch later moves that thread count to the next plan too. The first fallback leaves one warning for the cmdlets
/// to show (<see cref="TakeWarning"/>). Machine facts, not module state: the results are shared by every runspace of the
/// process. They are kept per thread count because the native kernels' correctness depends on it (oneDNN's 1x1
/// convolution, which scoring used before, was right at 1 thread and wrong at 2 on one machine) and runspaces compute
/// with different counts (<see cref="TorchThreads"/>): a plan verified at one count is never trusted at another, and the plan a computation
/// uses depends only on its own thread count, not on which runspace happened to score first.
/// </summary>
public static class ScoringSelfCheck
{
    /// <summary>The check's result for the calling thread's libtorch thread count, running the check first if needed (about a second).</summary>
    public static ScoringCheckResult Current => ScoringGuard.Process.Current;

    /// <summary>The result for the calling thread's thread count if the check has run for it, else null (does not run it).</summary>
    public static ScoringCheckResult? IfChecked => ScoringGuard.Process.IfChecked;

    /// <summary>Returns the fallback warning once (null when there is none or it was taken already).</summary>
    public static string? TakeWarning() => ScoringGuard.Process.TakeWarning();

    /// <summary>
    /// Compares one fast plan with the reference on a synthetic pair of images with a seeded network of the paper's shape
    /// (578-578-300-100-2, patch 17), six queries in one batch, radius 4, for both input normalisations; returns the
    /// largest difference relative to the scores' scale (at least 1).
    /// </summary>
    public static double MeasureDeviation(ScoringKernels plan) => ScoringGuard.MeasureDeviation(plan);
}

/// <summary>The plan state behind <see cref="ScoringSelfCheck"/>; instances other than <see cref="Process"/> exist for tests.</summary>
internal sealed class ScoringGuard(Func<ScoringKernels, double> measure)
{
    private const int Patch = 17;
    private const int Radius = 4;

    /// <summary>Largest relative deviation from the reference that the check accepts (float32 rounding is ~1e-6).</summary>
    internal const double Tolerance = 1e-4;

    private readonly Lock _gate = new();
    private readonly Dictionary<int, ScoringCheckResult> _results = [];
    private string? _pendingWarning;

    /// <summary>The process's guard, measuring on the real kernels.</summary>
    public static ScoringGuard Process { get; } = new(MeasureDeviation);

    public ScoringCheckResult Current
    {
        get
        {
            var threads = CurrentThreads();
            lock (_gate)
            {
                return ResultFor(threads);
            }
        }
    }

    public ScoringCheckResult? IfChecked
    {
        get
        {
            if (!TorchRuntime.IsInitialized)
            {
                return null;
            }

            var threads = CurrentThreads();
            lock (_gate)
            {
                return _results.GetValueOrDefault(threads);
            }
        }
    }

    public string? TakeWarning()
    {
        lock (_gate)
        {
            var w = _pendingWarning;
            _pendingWarning = null;
            return w;
        }
    }

    public static double MeasureDeviation(ScoringKernels plan)
    {
        if (plan is ScoringKernels.Auto or ScoringKernels.Reference)
        {
            throw new ArgumentOutOfRangeException(nameof(plan), plan, "Only the fast plans (Convolution, Gemm) are compared with the reference.");
        }

        TorchRuntime.EnsureInitialized();
        var (fixedImage, movingImage) = SyntheticPair(96, 88);
        PatchCenter[] centres = [new(30, 30), new(31, 30), new(30, 32), new(60, 55), new(62, 40), new(45, 66)];
        var positions = ((2 * Radius) + 1) * ((2 * Radius) + 1);
        double worst = 0;
        foreach (var (normalization, activation) in new[] { (InputNormalization.ImageRange, ActivationKind.Sigmoid), (InputNormalization.PatchZScore, ActivationKind.Relu) })
        {
            var model = SyntheticModel(normalization, activation);
            var fast = new float[centres.Length * positions];
            var reference = new float[fast.Length];
            var options = new ScoringOptions { Kernels = plan, SpotCheck = false };
            new SearchWindowScorer(model, options).Score(fixedImage, movingImage, centres, Patch, Radius, fast, null, default);
            new SearchWindowScorer(model, options).ScoreReference(fixedImage, movingImage, centres, Patch, Radius, reference, null, default);
            var scale = Math.Max(1.0, reference.Max(v => Math.Abs((double)v)));
            for (var i = 0; i < fast.Length; i++)
            {
                var d = Math.Abs((double)fast[i] - reference[i]) / scale;
                worst = double.IsNaN(d) ? double.PositiveInfinity : Math.Max(worst, d);
            }
        }

        return worst;
    }

    /// <summary>A seeded network of the paper's shape (578-578-300-100-2, patch 17) with random weights and biases.</summary>
    internal static SimilarityModel SyntheticModel(InputNormalization normalization, ActivationKind activation, int seed = 20261202)
    {
        var rng = new Random(seed);
        int[] sizes = [2 * Patch * Patch, 578, 300, 100, 2];
        var layers = new DenseLayer[sizes.Length - 1];
        for (var i = 0; i < layers.Length; i++)
        {
            var layer = TorchTraining.InitLayer(sizes[i + 1], sizes[i], rng, activation);
            var bias = new float[sizes[i + 1]];
            for (var j = 0; j < bias.Length; j++)
            {
                bias[j] = (float)((rng.NextDouble() - 0.5) * 0.2);
            }

            layers[i] = new DenseLayer(layer.Outputs, layer.Inputs, layer.Weights, bias);
        }

        var options = new SimilarityTrainingOptions { Normalization = normalization, Activation = activation };
        return new SimilarityModel("self-check", Patch, normalization, activation, layers, options, [], 0, false, 0, DateTimeOffset.UnixEpoch);
    }

    /// <summary>Two smooth, structured images (a sum of seeded sinusoids plus noise), the second a non-linear remap of the first with one constant square.</summary>
    internal static (MedicalImage Fixed, MedicalImage Moving) SyntheticPair(int width, int height, int seed = 7)
    {
        var rng = new Random(seed);
        var a = new float[width * height];
        var b = new float[a.Length];
        var waves = Enumerable.Range(0, 6).Select(_ => (Fx: rng.NextDouble() * 0.3, Fy: rng.NextDouble() * 0.3, Phase: rng.NextDouble() * 6.28, Amp: 20 + (rng.NextDouble() * 40))).ToArray();
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                double v = 100;
                foreach (var w in waves)
                {
                    v += w.Amp * Math.Sin((w.Fx * x) + (w.Fy * y) + w.Phase);
                }

                v += rng.NextDouble() * 8;
                a[(y * width) + x] = (float)v;
                b[(y * width) + x] = (float)(300 - (0.004 * v * v) + (rng.NextDouble() * 5));
            }
        }

        // One constant square, as in a saturated region, exercises the z-score's constant-patch rule.
        for (var y = 5; y < Math.Min(25, height); y++)
        {
            for (var x = width / 2; x < Math.Min((width / 2) + 25, width); x++)
            {
                b[(y * width) + x] = 250;
            }
        }

        return (new MedicalImage(a, width, height, 1, ImageGeometry.Identity, "OT", null, "memory"),
                new MedicalImage(b, width, height, 1, ImageGeometry.Identity, "OT", null, "memory"));
    }

    /// <summary>Moves from <paramref name="failed"/> to the next plan after a spot-check mismatch; returns the plan to use.</summary>
    public ScoringKernels Downgrade(ScoringKernels failed, string reason)
    {
        var threads = CurrentThreads();
        lock (_gate)
        {
            var current = ResultFor(threads);
            if (current.Plan != failed)
            {
                return current.Plan; // another thread moved on already
            }

            var next = failed == ScoringKernels.Convolution ? ScoringKernels.Gemm : ScoringKernels.Reference;
            var findings = current.Findings.Append($"spot check: {reason}; using {next}").ToArray();
            _results[threads] = current with { Plan = next, FastPathVerified = next != ScoringKernels.Reference, Findings = findings };
            _pendingWarning ??= FallbackWarning(failed, next, reason);
            return next;
        }
    }

    private static string FallbackWarning(ScoringKernels failed, ScoringKernels next, string reason) =>
        $"Learned-metric scoring: on this machine {reason}, so DeepSim scores with the {next} plan instead of {failed} " +
        $"(correct, {(next == ScoringKernels.Reference ? "much " : string.Empty)}slower). Get-DeepSimRuntime shows the check.";

    /// <summary>The calling thread's libtorch thread count, after applying its flow's limit.</summary>
    private static int CurrentThreads()
    {
        TorchRuntime.EnsureInitialized();
        return get_num_threads();
    }

    /// <summary>The verdict for <paramref name="threads"/>, running the check on first use; call under the lock.</summary>
    private ScoringCheckResult ResultFor(int threads)
    {
        if (!_results.TryGetValue(threads, out var result))
        {
            result = Run();
            _results[threads] = result;
        }

        return result;
    }

    private ScoringCheckResult Run()
    {
        TorchRuntime.EnsureInitialized();
        var findings = new List<string>();
        var chosen = ScoringKernels.Reference;
        string? firstFailure = null;
        ScoringKernels? failedPlan = null;
        foreach (var plan in new[] { ScoringKernels.Convolution, ScoringKernels.Gemm })
        {
            double deviation;
            try
            {
                deviation = measure(plan);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                findings.Add($"{plan}: failed ({e.GetType().Name}: {e.Message})");
                firstFailure ??= $"the {plan} plan failed ({e.Message})";
                failedPlan ??= plan;
                continue;
            }

            var ok = deviation <= Tolerance;
            findings.Add($"{plan}: max relative difference from the reference {deviation:G3} ({(ok ? "equal" : "WRONG")})");
            if (ok)
            {
                chosen = plan;
                break;
            }

            firstFailure ??= $"the {plan} plan's scores differed from the reference by up to {deviation:G3} of their scale at {get_num_threads()} thread(s)";
            failedPlan ??= plan;
        }

        if (failedPlan is { } failed)
        {
            _pendingWarning = FallbackWarning(failed, chosen, firstFailure!);
        }

        return new ScoringCheckResult(chosen, chosen != ScoringKernels.Reference, get_num_threads(), TorchRuntime.GetNativeEnvironment("ONEDNN_MAX_CPU_ISA"), findings);
    }
}
