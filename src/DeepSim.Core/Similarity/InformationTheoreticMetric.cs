using DeepSim.Patches;

namespace DeepSim.Similarity;

/// <summary>
/// Base of the measures computed from the joint intensity histogram of the two patches (NMI, MI): marginal and
/// joint entropies in nats, with the binning of <see cref="Binning"/>.
/// </summary>
public abstract class InformationTheoreticMetric : ClassicalSimilarityMetric
{
    /// <summary>Creates the measure with a binning (default: <see cref="HistogramBinning.Default"/>).</summary>
    protected InformationTheoreticMetric(string name, HistogramBinning? binning)
        : base(name)
    {
        Binning = binning ?? HistogramBinning.Default;
        Binning.Validate();
    }

    /// <summary>How intensities are quantised.</summary>
    public HistogramBinning Binning { get; }

    /// <summary>
    /// Largest table of per-position moving bins (per-patch binning) the search may allocate; above it, candidates
    /// are quantised on the fly (slower, same scores).
    /// </summary>
    internal long PerPatchTableLimitBytes { get; init; } = 256L * 1024 * 1024;

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({Binning})";

    /// <summary>The score from the fixed, moving and joint entropies (nats).</summary>
    protected abstract double Combine(double fixedEntropy, double movingEntropy, double jointEntropy);

    /// <summary>Entropies (nats) of the fixed patch, the moving patch and the pair, with this metric's binning.</summary>
    public (double Fixed, double Moving, double Joint) Entropies(ReadOnlySpan<float> fixedPatch, ReadOnlySpan<float> movingPatch, IntensityRange fixedRange, IntensityRange movingRange)
    {
        if (fixedPatch.Length != movingPatch.Length || fixedPatch.Length == 0)
        {
            throw new ArgumentException($"Patches must be non-empty and of equal length (got {fixedPatch.Length} and {movingPatch.Length}).");
        }

        var bins = Binning.Bins;
        var qf = Binning.QuantizerFor(fixedPatch, fixedRange);
        var qm = Binning.QuantizerFor(movingPatch, movingRange);
        var joint = new int[bins * bins];
        var cf = new int[bins];
        var cm = new int[bins];
        for (var i = 0; i < fixedPatch.Length; i++)
        {
            var a = qf.Bin(fixedPatch[i]);
            var b = qm.Bin(movingPatch[i]);
            joint[(a * bins) + b]++;
            cf[a]++;
            cm[b]++;
        }

        var n = fixedPatch.Length;
        return (Entropy.FromCounts(cf, n), Entropy.FromCounts(cm, n), Entropy.FromCounts(joint, n));
    }

    /// <inheritdoc />
    public override double ScorePatches(ReadOnlySpan<float> fixedPatch, ReadOnlySpan<float> movingPatch, int patchSize, IntensityRange fixedRange, IntensityRange movingRange)
    {
        var (hf, hm, hj) = Entropies(fixedPatch, movingPatch, fixedRange, movingRange);
        return Combine(hf, hm, hj);
    }

    private protected override void ScoreSearchWindowsCore(SearchWindowJob job, float[] scores, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var bins = Binning.Bins;
        var n = job.PatchSize * job.PatchSize;
        var w = job.Width;
        var r = job.Radius;
        var table = Entropy.NLogNTable(n);
        var fixedVoxels = job.Fixed.GetVoxels();
        var fixedRange = IntensityRange.Of(job.Fixed);
        var moving = MovingPatchBins.Build(job, Binning, MaxDegreeOfParallelism, PerPatchTableLimitBytes, cancellationToken);

        job.ForEachQuery(
            MaxDegreeOfParallelism,
            () => new HistogramScratch(n, bins),
            (q, s) =>
            {
                var c = job.Centres[q];
                job.CopyPatch(fixedVoxels, job.PatchOrigin(c.X, c.Y, c.Z), s.Patch);
                var qf = Binning.QuantizerFor(s.Patch, fixedRange);

                Array.Clear(s.MarginalCounts);
                for (var i = 0; i < n; i++)
                {
                    var a = qf.Bin(s.Patch[i]);
                    s.FixedRowOffset[i] = a * bins;
                    s.MarginalCounts[a]++;
                }

                var hf = Entropy.FromCounts(s.MarginalCounts, n);
                var outBase = q * w * w;
                for (var dy = -r; dy <= r; dy++)
                {
                    for (var dx = -r; dx <= r; dx++)
                    {
                        var (jointSum, hm) = moving.JointSum(c.X + dx, c.Y + dy, c.Z, s, table);
                        var score = Combine(hf, hm, Entropy.FromSumNLogN(jointSum, n));
                        scores[outBase + ((dy + r) * w) + dx + r] = (float)score;
                    }
                }
            },
            progress,
            cancellationToken);
    }

    /// <summary>Per-query working memory of the histogram search.</summary>
    internal sealed class HistogramScratch(int n, int bins)
    {
        public float[] Patch { get; } = new float[n];

        public byte[] MovingBins { get; } = new byte[n];

        public int[] FixedRowOffset { get; } = new int[n];

        public int[] Joint { get; } = new int[bins * bins];

        public int[] Touched { get; } = new int[n];

        public int[] MarginalCounts { get; } = new int[bins];
    }
}
