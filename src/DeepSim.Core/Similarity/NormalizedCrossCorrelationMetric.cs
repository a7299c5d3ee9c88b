using System.Numerics;
using DeepSim.Patches;

namespace DeepSim.Similarity;

/// <summary>
/// Normalised cross correlation: the Pearson correlation of the two patches' intensities, in [-1, 1].
/// A constant patch (zero variance) gives 0, "no linear relation".
/// </summary>
public sealed class NormalizedCrossCorrelationMetric : ClassicalSimilarityMetric
{
    /// <summary>The registry name.</summary>
    public const string MetricName = "NCC";

    /// <summary>Creates the measure.</summary>
    public NormalizedCrossCorrelationMetric()
        : base(MetricName)
    {
    }

    /// <inheritdoc />
    public override double ScorePatches(ReadOnlySpan<float> fixedPatch, ReadOnlySpan<float> movingPatch, int patchSize, IntensityRange fixedRange, IntensityRange movingRange)
    {
        if (fixedPatch.Length != movingPatch.Length || fixedPatch.Length == 0)
        {
            throw new ArgumentException($"Patches must be non-empty and of equal length (got {fixedPatch.Length} and {movingPatch.Length}).");
        }

        double sf = 0, sm = 0, sff = 0, smm = 0;
        for (var i = 0; i < fixedPatch.Length; i++)
        {
            sf += fixedPatch[i];
            sm += movingPatch[i];
            sff += (double)fixedPatch[i] * fixedPatch[i];
            smm += (double)movingPatch[i] * movingPatch[i];
        }

        var n = fixedPatch.Length;
        double mf = sf / n, mm = sm / n, cov = 0, vf = 0, vm = 0;
        for (var i = 0; i < n; i++)
        {
            var a = fixedPatch[i] - mf;
            var b = movingPatch[i] - mm;
            cov += a * b;
            vf += a * a;
            vm += b * b;
        }

        return IsFlat(vf, sff) || IsFlat(vm, smm) ? 0 : Math.Clamp(cov / Math.Sqrt(vf * vm), -1, 1);
    }

    private protected override void ScoreSearchWindowsCore(SearchWindowJob job, float[] scores, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var p = job.PatchSize;
        var n = p * p;
        var w = job.Width;
        var r = job.Radius;
        var fixedVoxels = job.Fixed.GetVoxels();
        var moving = ToDouble(job.Moving.VoxelSpan);
        var integrals = job.Slices().ToDictionary(z => z, z => IntegralImages.Build(moving, z * job.SliceLength, job.SizeX, job.SizeY));
        var lanes = Vector<double>.Count;

        job.ForEachQuery(
            MaxDegreeOfParallelism,
            () => (Patch: new float[n], Centred: new double[n]),
            (q, s) =>
            {
                var c = job.Centres[q];
                job.CopyPatch(fixedVoxels, job.PatchOrigin(c.X, c.Y, c.Z), s.Patch);
                double sf = 0, sff = 0;
                foreach (var v in s.Patch)
                {
                    sf += v;
                    sff += (double)v * v;
                }

                var mf = sf / n;
                var vf = 0.0;
                for (var i = 0; i < n; i++)
                {
                    s.Centred[i] = s.Patch[i] - mf;
                    vf += s.Centred[i] * s.Centred[i];
                }

                var fixedFlat = IsFlat(vf, sff);
                var integral = integrals[c.Z];
                var outBase = q * w * w;
                for (var dy = -r; dy <= r; dy++)
                {
                    for (var dx = -r; dx <= r; dx++)
                    {
                        var outIndex = outBase + ((dy + r) * w) + dx + r;
                        if (fixedFlat)
                        {
                            scores[outIndex] = 0;
                            continue;
                        }

                        var x0 = c.X + dx - job.Half;
                        var y0 = c.Y + dy - job.Half;
                        var (sm, smm) = integral.Sum(x0, y0, p);
                        var vm = smm - (sm * sm / n);
                        if (IsFlat(vm, smm))
                        {
                            scores[outIndex] = 0;
                            continue;
                        }

                        var origin = job.PatchOrigin(c.X + dx, c.Y + dy, c.Z);
                        var acc = Vector<double>.Zero;
                        var tail = 0.0;
                        for (var row = 0; row < p; row++)
                        {
                            var f = s.Centred.AsSpan(row * p, p);
                            var m = moving.AsSpan(origin + (row * job.SizeX), p);
                            var j = 0;
                            for (; j <= p - lanes; j += lanes)
                            {
                                acc += new Vector<double>(f[j..]) * new Vector<double>(m[j..]);
                            }

                            for (; j < p; j++)
                            {
                                tail += f[j] * m[j];
                            }
                        }

                        var cov = Vector.Sum(acc) + tail;
                        scores[outIndex] = (float)Math.Clamp(cov / Math.Sqrt(vf * vm), -1, 1);
                    }
                }
            },
            progress,
            cancellationToken);
    }

    internal static double[] ToDouble(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            result[i] = values[i];
        }

        return result;
    }
}
