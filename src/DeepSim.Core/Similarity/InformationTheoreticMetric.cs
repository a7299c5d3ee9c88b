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
        var movingVoxels = job.Moving.GetVoxels();

        // Image or fixed range: quantise the moving image once; per-patch range: quantise each candidate.
        byte[]? movingBins = null;
        Quantizer fixedImageQuantizer = default;
        if (Binning.Mode != IntensityRangeMode.PerPatch)
        {
            var (mMin, mMax) = job.Moving.GetRange();
            var (fMin, fMax) = job.Fixed.GetRange();
            fixedImageQuantizer = Binning.QuantizerFor(fMin, fMax);
            movingBins = new byte[movingVoxels.Length];
            Binning.QuantizerFor(mMin, mMax).Bin(movingVoxels, movingBins);
        }

        job.ForEachQuery(
            MaxDegreeOfParallelism,
            () => new HistogramScratch(n, bins),
            (q, s) =>
            {
                var c = job.Centres[q];
                job.CopyPatch(fixedVoxels, job.PatchOrigin(c.X, c.Y, c.Z), s.Patch);
                var (pMin, pMax) = Quantizer.RangeOf(s.Patch);
                var qf = movingBins is null ? new Quantizer(pMin, pMax, bins) : fixedImageQuantizer;
                Array.Clear(s.MarginalCounts);
                for (var i = 0; i < n; i++)
                {
                    var a = qf.Bin(s.Patch[i]);
                    s.FixedRowOffset[i] = a * bins;
                    s.MarginalCounts[a]++;
                }

                var fixedSum = 0.0;
                foreach (var count in s.MarginalCounts)
                {
                    fixedSum += table[count];
                }

                var hf = Entropy.FromSumNLogN(fixedSum, n);
                Array.Clear(s.MarginalCounts);
                var outBase = q * w * w;
                for (var dy = -r; dy <= r; dy++)
                {
                    for (var dx = -r; dx <= r; dx++)
                    {
                        var origin = job.PatchOrigin(c.X + dx, c.Y + dy, c.Z);
                        ReadOnlySpan<byte> mb;
                        if (movingBins is null)
                        {
                            job.CopyPatch(movingVoxels, origin, s.Patch);
                            var (mMin, mMax) = Quantizer.RangeOf(s.Patch);
                            new Quantizer(mMin, mMax, bins).Bin(s.Patch, s.MovingBins);
                            mb = s.MovingBins;
                        }
                        else
                        {
                            for (var row = 0; row < job.PatchSize; row++)
                            {
                                movingBins.AsSpan(origin + (row * job.SizeX), job.PatchSize).CopyTo(s.MovingBins.AsSpan(row * job.PatchSize));
                            }

                            mb = s.MovingBins;
                        }

                        var touched = 0;
                        var joint = s.Joint;
                        var marginal = s.MarginalCounts;
                        var fro = s.FixedRowOffset;
                        for (var i = 0; i < n; i++)
                        {
                            var b = mb[i];
                            var idx = fro[i] + b;
                            if (joint[idx]++ == 0)
                            {
                                s.Touched[touched++] = idx;
                            }

                            marginal[b]++;
                        }

                        var jointSum = 0.0;
                        for (var k = 0; k < touched; k++)
                        {
                            var idx = s.Touched[k];
                            jointSum += table[joint[idx]];
                            joint[idx] = 0;
                        }

                        var movingSum = 0.0;
                        for (var b = 0; b < bins; b++)
                        {
                            movingSum += table[marginal[b]];
                            marginal[b] = 0;
                        }

                        var score = Combine(hf, Entropy.FromSumNLogN(movingSum, n), Entropy.FromSumNLogN(jointSum, n));
                        scores[outBase + ((dy + r) * w) + dx + r] = (float)score;
                    }
                }
            },
            progress,
            cancellationToken);
    }

    private sealed class HistogramScratch(int n, int bins)
    {
        public float[] Patch { get; } = new float[n];

        public byte[] MovingBins { get; } = new byte[n];

        public int[] FixedRowOffset { get; } = new int[n];

        public int[] Joint { get; } = new int[bins * bins];

        public int[] Touched { get; } = new int[n];

        public int[] MarginalCounts { get; } = new int[bins];
    }
}
