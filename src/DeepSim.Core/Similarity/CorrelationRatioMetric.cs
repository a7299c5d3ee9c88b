using DeepSim.Patches;

namespace DeepSim.Similarity;

/// <summary>
/// Correlation ratio eta^2(moving | fixed) of Roche et al.: the fraction of the moving patch's intensity variance
/// explained by the fixed patch's intensity classes (its histogram bins, see <see cref="Binning"/>), in [0, 1]:
/// eta^2 = 1 - sum_i n_i Var(moving | fixed in bin i) / (N Var(moving)). The direction matters: the moving
/// intensities are predicted from the fixed bins, so swap the images to get eta^2(fixed | moving).
/// A constant moving patch gives 0 (nothing to explain); a constant fixed patch gives 0 (one class explains nothing).
/// </summary>
public sealed class CorrelationRatioMetric : ClassicalSimilarityMetric
{
    /// <summary>The registry name.</summary>
    public const string MetricName = "CorrelationRatio";

    /// <summary>Creates the measure (default binning of the fixed patch: 32 bins over the fixed image's range).</summary>
    public CorrelationRatioMetric(HistogramBinning? binning = null)
        : base(MetricName)
    {
        Binning = binning ?? HistogramBinning.Default;
        Binning.Validate();
    }

    /// <summary>How the fixed intensities are grouped into classes (the moving range is not used).</summary>
    public HistogramBinning Binning { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Name} (moving given fixed, {Binning})";

    /// <inheritdoc />
    public override double ScorePatches(ReadOnlySpan<float> fixedPatch, ReadOnlySpan<float> movingPatch, int patchSize, IntensityRange fixedRange, IntensityRange movingRange)
    {
        if (fixedPatch.Length != movingPatch.Length || fixedPatch.Length == 0)
        {
            throw new ArgumentException($"Patches must be non-empty and of equal length (got {fixedPatch.Length} and {movingPatch.Length}).");
        }

        var qf = Binning.QuantizerFor(fixedPatch, fixedRange);
        var counts = new int[Binning.Bins];
        var sums = new double[Binning.Bins];
        double s = 0, ss = 0;
        for (var i = 0; i < fixedPatch.Length; i++)
        {
            var b = qf.Bin(fixedPatch[i]);
            double m = movingPatch[i];
            counts[b]++;
            sums[b] += m;
            s += m;
            ss += m * m;
        }

        return Ratio(counts, sums, s, ss, fixedPatch.Length);
    }

    private static double Ratio(ReadOnlySpan<int> counts, ReadOnlySpan<double> sums, double s, double ss, int n)
    {
        var total = ss - (s * s / n);
        if (IsFlat(total, ss))
        {
            return 0;
        }

        var between = 0.0;
        for (var b = 0; b < counts.Length; b++)
        {
            if (counts[b] > 0)
            {
                between += sums[b] * sums[b] / counts[b];
            }
        }

        between -= s * s / n;
        return Math.Clamp(between / total, 0, 1);
    }

    private protected override void ScoreSearchWindowsCore(SearchWindowJob job, float[] scores, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var p = job.PatchSize;
        var n = p * p;
        var w = job.Width;
        var r = job.Radius;
        var bins = Binning.Bins;
        var fixedVoxels = job.Fixed.GetVoxels();
        var moving = NormalizedCrossCorrelationMetric.ToDouble(job.Moving.VoxelSpan);
        var fixedRange = IntensityRange.Of(job.Fixed);

        job.ForEachQuery(
            MaxDegreeOfParallelism,
            () => (Patch: new float[n], Bin: new int[n], Counts: new int[bins], Sums: new double[bins]),
            (q, st) =>
            {
                var c = job.Centres[q];
                job.CopyPatch(fixedVoxels, job.PatchOrigin(c.X, c.Y, c.Z), st.Patch);
                var qf = Binning.QuantizerFor(st.Patch, fixedRange);

                Array.Clear(st.Counts);
                for (var i = 0; i < n; i++)
                {
                    st.Bin[i] = qf.Bin(st.Patch[i]);
                    st.Counts[st.Bin[i]]++;
                }

                var outBase = q * w * w;
                for (var dy = -r; dy <= r; dy++)
                {
                    for (var dx = -r; dx <= r; dx++)
                    {
                        var origin = job.PatchOrigin(c.X + dx, c.Y + dy, c.Z);
                        Array.Clear(st.Sums);
                        double s = 0, ss = 0;
                        var i = 0;
                        for (var row = 0; row < p; row++)
                        {
                            var m0 = origin + (row * job.SizeX);
                            for (var x = 0; x < p; x++, i++)
                            {
                                var m = moving[m0 + x];
                                st.Sums[st.Bin[i]] += m;
                                s += m;
                                ss += m * m;
                            }
                        }

                        scores[outBase + ((dy + r) * w) + dx + r] = (float)Ratio(st.Counts, st.Sums, s, ss, n);
                    }
                }
            },
            progress,
            cancellationToken);
    }
}
