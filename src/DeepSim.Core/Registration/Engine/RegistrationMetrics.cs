using System.Runtime.InteropServices;
using DeepSim.Learning;
using DeepSim.Similarity;
using TorchSharp;
using static DeepSim.Runtime.HeldScalars;
using static TorchSharp.torch;

namespace DeepSim.Registration;

/// <summary>
/// The built-in registration metrics (differentiable forms of the module's measures) and the mapping from any
/// <see cref="ISimilarityMetric"/> (a learned <see cref="SimilarityModel"/>, a classical measure) to one.
/// </summary>
public static class RegistrationMetrics
{
    /// <summary>Names accepted by <see cref="Create(string, RegistrationOptions?)"/>.</summary>
    public static IReadOnlyList<string> Names { get; } = ["MI", "NMI", "NCC", "LCC", "CorrelationRatio", "MSE"];

    /// <summary>A built-in metric by name (case-insensitive).</summary>
    /// <exception cref="RegistrationException">Unknown name.</exception>
    public static IRegistrationMetric Create(string name, RegistrationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        var o = options ?? new RegistrationOptions();
        return name.Trim().ToUpperInvariant() switch
        {
            "MI" => new HistogramRegistrationMetric("MI", HistogramMeasure.MutualInformation, o.HistogramBins),
            "NMI" => new HistogramRegistrationMetric("NMI", HistogramMeasure.NormalizedMutualInformation, o.HistogramBins),
            "CORRELATIONRATIO" => new HistogramRegistrationMetric("CorrelationRatio", HistogramMeasure.CorrelationRatio, o.HistogramBins),
            "NCC" => new CorrelationRegistrationMetric(),
            "MSE" => new MeanSquaresRegistrationMetric(),
            "LCC" => new LocalCorrelationRegistrationMetric(o.LccRadius),
            _ => throw new RegistrationException(RegistrationError.UnsupportedMetric, $"Unknown registration metric '{name}'. Use a SimilarityModel or one of: {string.Join(", ", Names)}."),
        };
    }

    /// <summary>
    /// The registration form of a module metric: itself when it implements <see cref="IRegistrationMetric"/>, the learned
    /// patch metric for a <see cref="SimilarityModel"/>, the feature-map metric for an <see cref="IFeatureMapModel"/>
    /// (the two-branch CNN, <see cref="FeatureSimilarityModel"/>), the built-in of the same name for a classical measure.
    /// </summary>
    public static IRegistrationMetric From(object metric, RegistrationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(metric);
        return metric switch
        {
            IRegistrationMetric r => r,
            SimilarityModel model => new SimilarityModelRegistrationMetric(model, options?.PatchCount ?? 256),
            IFeatureMapModel features => new FeatureRegistrationMetric(features),
            TwoChannelSimilarityModel m => throw new RegistrationException(RegistrationError.UnsupportedMetric, $"Metric '{m.Name}' is a two-channel CNN: it scores stacked patch pairs and has no per-image feature maps, so it cannot drive registration. Register with the two-branch CNN (Invoke-SimilarityTraining -Preset Cnn), a fully connected SimilarityModel or a classical measure (MI, LCC ...)."),
            string name => Create(name, options),
            ISimilarityMetric m when Names.Contains(m.Name, StringComparer.OrdinalIgnoreCase) => Create(m.Name, options),
            ISimilarityMetric m => throw new RegistrationException(RegistrationError.UnsupportedMetric, $"Metric '{m.Name}' ({m.GetType().Name}) has no differentiable form for registration; it must implement IRegistrationMetric."),
            _ => throw new RegistrationException(RegistrationError.UnsupportedMetric, $"A registration metric must be a name ({string.Join(", ", Names)}), a SimilarityModel, a FeatureSimilarityModel (or any IFeatureMapModel) or an IRegistrationMetric; got {metric.GetType().FullName}."),
        };
    }

    /// <summary>The cubic B-spline kernel applied element-wise (differentiable).</summary>
    internal static Tensor CubicKernel(Tensor x)
    {
        var a = x.abs();
        // (4 - 6 a^2 + 3 a^3) / 6 and (2 - a)^3 / 6, each operation as TorchSharp's operators did it, with held scalars.
        var inner = (a.mul(OfInteger(6)) * a).negative().add(OfInteger(4), One).add(a.mul(OfInteger(3)) * a * a, One).div(OfInteger(6));
        var twoMinus = a.negative().add(OfInteger(2), One).clamp_min(OfInteger(0));
        var outer = (twoMinus * twoMinus * twoMinus).div(OfInteger(6));
        return where(a.lt(OfInteger(1)), inner, outer);
    }

    /// <summary>The cubic B-spline kernel at one point (the scalar form of <see cref="CubicKernel"/>).</summary>
    internal static double CubicWeight(double x)
    {
        var a = Math.Abs(x);
        if (a < 1)
        {
            return (4 - (6 * a * a) + (3 * a * a * a)) / 6;
        }

        var t = Math.Max(2 - a, 0);
        return t * t * t / 6;
    }

    /// <summary>Weighted mean of <paramref name="x"/> with weights <paramref name="w"/>.</summary>
    internal static Tensor WeightedMean(Tensor x, Tensor w) => (x * w).sum() / w.sum().clamp_min(Of(1e-6));
}

/// <summary>Which statistic of the Parzen joint histogram.</summary>
internal enum HistogramMeasure
{
    MutualInformation,
    NormalizedMutualInformation,
    CorrelationRatio,
}

/// <summary>
/// Mattes-style mutual information (and NMI, correlation ratio) from a Parzen-windowed joint histogram: both intensities
/// are scaled into [2, B-3] over their image's range and spread over bins with the cubic B-spline kernel, so the
/// histogram, and the measure, are differentiable in the moving intensities. Cost: the negated measure.
/// </summary>
internal sealed class HistogramRegistrationMetric(string name, HistogramMeasure measure, int? bins) : IRegistrationMetric
{
    public string Name => name;

    public int? PatchSize => null;

    public Tensor Cost(RegistrationLevel level)
    {
        var indices = level.DrawSampleIndices();
        var b = bins ?? level.Options.HistogramBinsFor(level.Dimension);
        var (m, v) = level.SampleMoving(indices);
        var wf = FixedParzenWeights(level, indices, v, b);
        var wm = ParzenWeights(m, level.MovingRange, b);
        var total = v.sum().clamp_min(Of(1e-6));
        if (measure == HistogramMeasure.CorrelationRatio)
        {
            // eta^2 of the moving intensity given the fixed bin: Var(E[M|F]) / Var(M).
            var mu = RegistrationMetrics.WeightedMean(m, v);
            var centred = m - mu;
            var nb = wf.sum(0, keepdim: false).clamp_min(Of(1e-6));
            var meanB = wf.t().matmul(centred) / nb;
            var between = (nb * meanB * meanB).sum() / total;
            var var = (centred * centred * v).sum() / total;
            return -(between / var.clamp_min(Of(1e-12)));
        }

        var joint = wf.t().matmul(wm) / total;
        var pf = joint.sum(1, keepdim: false);
        var pm = joint.sum(0, keepdim: false);
        const double eps = 1e-10;
        var hJoint = -(joint * joint.add(Of(eps), One).log()).sum();
        var hf = -(pf * pf.add(Of(eps), One).log()).sum();
        var hm = -(pm * pm.add(Of(eps), One).log()).sum();
        return measure == HistogramMeasure.MutualInformation ? -(hf.add(hm, One) - hJoint) : -(hf.add(hm, One) / hJoint);
    }

    /// <summary>
    /// The Parzen weights [N, bins] of <paramref name="values"/> scaled into [2, bins - 3] over <paramref name="range"/>:
    /// the cubic B-spline kernel of the distance to every bin centre. The kernel is zero two bins away, so only the four
    /// bins floor(t) - 1 .. floor(t) + 2 of a value t carry weight: those four are computed (differentiable in t) and
    /// scattered into a zero matrix, a quarter of the work of <see cref="DenseParzenWeights"/>, the reference, which
    /// evaluates every bin and gives the same numbers.
    /// </summary>
    internal static Tensor ParzenWeights(Tensor values, (float Min, float Max) range, int bins)
    {
        var t = Scaled(values, range, bins);
        Tensor start;
        using (no_grad())
        {
            // Values land in [2, bins - 3], so the four bins lie in [1, bins - 1].
            start = t.detach().floor().sub(OfInteger(1)).clamp(OfInteger(0), OfInteger(bins - 4));
        }

        using var ks = tensor(new float[] { 0, 1, 2, 3 }, [1, 4]);
        var centres = start.unsqueeze(1).add(ks, One);
        var weights = RegistrationMetrics.CubicKernel(t.unsqueeze(1) - centres);
        var index = centres.to_type(ScalarType.Int64);
        return zeros([values.shape[0], bins], dtype: ScalarType.Float32).scatter(1, index, weights);
    }

    /// <summary>
    /// The fixed side's Parzen weights [N, bins] at fixed-grid indices, each row multiplied by its valid flag: the
    /// fixed intensities interpolated in C# (<see cref="RegistrationLevel.FixedValuesAt"/>) and their four nonzero weights
    /// written straight into the tensor's memory, one pass instead of some thirty tensor operations (the fixed side
    /// needs no gradient). Equals <see cref="DenseParzenWeights"/> of the sampled fixed values times the flags up to
    /// rounding.
    /// </summary>
    internal static Tensor FixedParzenWeights(RegistrationLevel level, Tensor indices, Tensor valid, int bins)
    {
        var n = (int)indices.shape[0];
        var values = System.Buffers.ArrayPool<float>.Shared.Rent(n);
        try
        {
            level.FixedValuesAt(indices, values.AsSpan(0, n));
            using var scope = NewDisposeScope();
            var flagTensor = valid.detach().contiguous();
            ReadOnlySpan<float> flags = MemoryMarshal.Cast<byte, float>(flagTensor.bytes);
            var result = zeros([n, bins], dtype: ScalarType.Float32);
            var w = MemoryMarshal.Cast<byte, float>(result.bytes);
            var range = level.FixedRange;
            var width = range.Max > range.Min ? range.Max - range.Min : 1f;
            for (var i = 0; i < n; i++)
            {
                if (flags[i] == 0)
                {
                    continue;
                }

                // As Scaled: into [2, bins - 3], clamped, in single precision.
                var t = (Math.Clamp((values[i] - range.Min) / width, 0f, 1f) * (bins - 5)) + 2;
                var start = (int)Math.Clamp(MathF.Floor(t) - 1, 0, bins - 4);
                for (var k = 0; k < 4; k++)
                {
                    w[(i * bins) + start + k] = (float)(RegistrationMetrics.CubicWeight(t - (start + k)) * flags[i]);
                }
            }

            return result.MoveToOuterDisposeScope();
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(values);
        }
    }

    /// <summary>The reference of <see cref="ParzenWeights"/>: the kernel evaluated at every bin centre.</summary>
    internal static Tensor DenseParzenWeights(Tensor values, (float Min, float Max) range, int bins)
    {
        var t = Scaled(values, range, bins);
        using var centres = tensor(Enumerable.Range(0, bins).Select(i => (float)i).ToArray(), [bins]);
        return RegistrationMetrics.CubicKernel(t.unsqueeze(1) - centres.unsqueeze(0));
    }

    /// <summary>Intensities scaled into [2, bins - 3] over the image's range (values outside it are clamped).</summary>
    private static Tensor Scaled(Tensor values, (float Min, float Max) range, int bins)
    {
        var width = range.Max > range.Min ? range.Max - range.Min : 1f;
        using var min = range.Min.ToScalar();
        using var widthScalar = width.ToScalar();
        return values.sub(min).div(widthScalar).clamp(OfInteger(0), OfInteger(1)).mul(OfInteger(bins - 5)).add(OfInteger(2), One);
    }
}

/// <summary>Normalised cross-correlation over the samples; cost = -NCC.</summary>
internal sealed class CorrelationRegistrationMetric : IRegistrationMetric
{
    public string Name => "NCC";

    public int? PatchSize => null;

    public Tensor Cost(RegistrationLevel level)
    {
        var (f, m, v) = level.Sample(level.DrawSampleIndices());
        var fc = f - RegistrationMetrics.WeightedMean(f, v);
        var mc = m - RegistrationMetrics.WeightedMean(m, v);
        var cov = (fc * mc * v).sum();
        var norm = ((fc * fc * v).sum() * (mc * mc * v).sum()).clamp_min(Of(1e-12)).sqrt();
        return -(cov / norm);
    }
}

/// <summary>Mean squared intensity difference (same modality); cost = MSE over the images' common scale.</summary>
internal sealed class MeanSquaresRegistrationMetric : IRegistrationMetric
{
    public string Name => "MSE";

    public int? PatchSize => null;

    public Tensor Cost(RegistrationLevel level)
    {
        var (f, m, v) = level.Sample(level.DrawSampleIndices());
        var d = f - m;
        return RegistrationMetrics.WeightedMean(d * d, v);
    }
}

/// <summary>
/// Local cross-correlation: the moving image is resampled onto the whole fixed level grid, local means, variances and
/// covariance come from box filters of side 2r+1, and the cost is the negated mean local correlation over the mask
/// (with <paramref name="squared"/>, of its square, as the CNN's LCC anchor scores patches).
/// </summary>
internal sealed class LocalCorrelationRegistrationMetric(int radius, bool squared = false) : IRegistrationMetric
{
    public string Name => "LCC";

    public int? PatchSize => null;

    public Tensor Cost(RegistrationLevel level)
    {
        var (m, v) = level.SampleMoving(level.AllIndices());
        var shape = level.FixedImage.shape;
        var fi = level.FixedImage;
        var mi = m.view(shape);
        var k = (2 * radius) + 1;
        Tensor Box(Tensor x) => level.Dimension == 2
            ? nn.functional.avg_pool2d(x, k, 1, radius, count_include_pad: false)
            : nn.functional.avg_pool3d(x, [k, k, k], [1, 1, 1], [radius, radius, radius], count_include_pad: false);

        // The fixed image's local means and variances do not change during a level: computed on its first iteration.
        var fixedStats = level.Cached(this, () =>
        {
            using var noGrad = no_grad();
            var mean = Box(fi);
            return new LevelTensors(mean, (Box(fi * fi) - (mean * mean)).clamp_min(OfInteger(0)));
        });
        var mf = fixedStats.Tensors[0];
        var vf = fixedStats.Tensors[1];
        var mm = Box(mi);
        var cov = Box(fi * mi) - (mf * mm);
        var vm = (Box(mi * mi) - (mm * mm)).clamp_min(OfInteger(0));
        var scale = (level.FixedRange.Max - level.FixedRange.Min) * (level.MovingRange.Max - level.MovingRange.Min);
        var eps = 1e-4 * Math.Max(scale, 1e-12);
        using var epsSquared = (eps * eps).ToScalar();
        var lcc = cov / (vf * vm).add(epsSquared, One).sqrt();
        if (squared)
        {
            lcc = lcc.mul(lcc);
        }

        var weight = v.view(shape) * level.FixedMaskImage();
        return -RegistrationMetrics.WeightedMean(lcc, weight);
    }
}

/// <summary>
/// A learned <see cref="SimilarityModel"/> as a registration metric: every iteration, <c>count</c> fixed patches
/// (in-plane, side = the model's patch size in level voxels) are drawn from the fixed mask, the corresponding moving
/// patches are sampled through the transform (bilinear, with gradients), both are normalised as in training, the network
/// scores them, and the cost is the negated mean score (logit(match) - logit(non-match)) over patches inside the moving image.
/// </summary>
internal sealed class SimilarityModelRegistrationMetric(SimilarityModel model, int count) : IRegistrationMetric
{
    public string Name => model.Name;

    public int? PatchSize => model.PatchSize;

    public Tensor Cost(RegistrationLevel level)
    {
        var p = model.PatchSize;
        var n = p * p;
        var centres = level.DrawPatchCentres(count, p);
        var k = centres.shape[0];
        var d = level.Dimension;
        var offsets = new float[n * d];
        for (var r = 0; r < p; r++)
        {
            for (var c = 0; c < p; c++)
            {
                offsets[((r * p) + c) * d] = c - (p / 2);
                offsets[(((r * p) + c) * d) + 1] = r - (p / 2);
            }
        }

        using var off = tensor(offsets, [1, n, d]);
        var points = centres.unsqueeze(1).add(off, One).reshape(k * n, d);
        var (f, m, v) = level.Sample(points);
        var fp = Normalize(f.view(k, n), level.FixedRange);
        var mp = Normalize(m.view(k, n), level.MovingRange);
        var patchValid = v.view(k, n).min(1).values;
        var net = NetworkTensors.Create(model.Layers);
        var logits = net.Forward(cat([fp, mp], 1), model.Activation);
        var score = logits.select(1, 1) - logits.select(1, 0);
        return -RegistrationMetrics.WeightedMean(score, patchValid);
    }

    private Tensor Normalize(Tensor patches, (float Min, float Max) range)
    {
        if (model.Normalization == InputNormalization.ImageRange)
        {
            var width = range.Max > range.Min ? range.Max - range.Min : 1f;
            using var min = range.Min.ToScalar();
            using var widthScalar = width.ToScalar();
            return patches.sub(min).div(widthScalar);
        }

        var mean = patches.mean([1], keepdim: true);
        var centred = patches - mean;
        var variance = (centred * centred).mean([1], keepdim: true);
        return centred / variance.add(Of(PatchInputs.ZScoreEpsilon), One).sqrt();
    }
}
