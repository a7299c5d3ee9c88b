using DeepSim.Patches;

namespace DeepSim.Similarity;

/// <summary>
/// Local cross correlation: the mean, over every (2w+1) x (2w+1) box window that lies wholly inside the patch, of the
/// window's correlation coefficient between the fixed and moving intensities. By default the coefficient is squared,
/// as in the neighbourhood cross correlation of ANTs (Avants et al., "Symmetric diffeomorphic image registration with
/// cross-correlation", Medical Image Analysis 2008: box windows, squared local coefficient), the usual form of LCC in
/// registration; Cachier and Pennec (MMBIA 2000) define the same local statistic with Gaussian windows. Squaring makes
/// a local contrast inversion (CSF dark in T1, bright in PD or T2) count as a match. The score is in [0, 1] squared,
/// [-1, 1] signed.
/// </summary>
/// <remarks>
/// The paper compares against "local cross correlation" without giving its window, so the defaults here are a
/// documented choice: box windows of radius 2 (5 x 5), 13 x 13 = 169 windows in a 17 x 17 patch, squared
/// coefficient. On cubic (3D) patches the windows are 5 x 5 x 5 boxes (27 of them in a 7^3 patch). A window in which either patch is constant has no defined correlation and contributes 0 (ANTs
/// gives such windows 1, which rewards flat background); it still counts in the mean, so a flat patch scores 0.
/// </remarks>
public sealed class LocalCrossCorrelationMetric : ClassicalSimilarityMetric
{
    /// <summary>The registry name.</summary>
    public const string MetricName = "LCC";

    /// <summary>Creates the measure.</summary>
    /// <param name="windowRadius">Half side of the box window (default 2, a 5 x 5 window).</param>
    /// <param name="squared">Average the squared local coefficient (default) or the signed one.</param>
    public LocalCrossCorrelationMetric(int windowRadius = 2, bool squared = true)
        : base(MetricName)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(windowRadius, 1);
        WindowRadius = windowRadius;
        Squared = squared;
    }

    /// <summary>Half side of the box window.</summary>
    public int WindowRadius { get; }

    /// <summary>Side of the box window, 2 * <see cref="WindowRadius"/> + 1.</summary>
    public int WindowSize => (2 * WindowRadius) + 1;

    /// <summary>Whether the local coefficient is squared before averaging.</summary>
    public bool Squared { get; }

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({WindowSize}x{WindowSize} box windows, {(Squared ? "squared" : "signed")})";

    /// <inheritdoc />
    public override double ScorePatches(ReadOnlySpan<float> fixedPatch, ReadOnlySpan<float> movingPatch, int patchSize, IntensityRange fixedRange, IntensityRange movingRange)
    {
        var dimension = Imaging.MedicalImage.PatchDimensionOf(fixedPatch.Length, patchSize);
        if (dimension == 0 || movingPatch.Length != fixedPatch.Length)
        {
            throw new ArgumentException($"Both patches must hold {patchSize}x{patchSize} values, or {patchSize}^3 for cubic patches (got {fixedPatch.Length} and {movingPatch.Length}).");
        }

        ValidatePatchSize(patchSize);
        if (dimension == 3)
        {
            return ScoreCubes(fixedPatch, movingPatch, patchSize);
        }

        var ws = WindowSize;
        var count = patchSize - ws + 1;
        var total = 0.0;
        for (var wy = 0; wy < count; wy++)
        {
            for (var wx = 0; wx < count; wx++)
            {
                double sf = 0, sff = 0, sm = 0, smm = 0, sfm = 0;
                for (var y = wy; y < wy + ws; y++)
                {
                    for (var x = wx; x < wx + ws; x++)
                    {
                        double f = fixedPatch[(y * patchSize) + x];
                        double m = movingPatch[(y * patchSize) + x];
                        sf += f;
                        sff += f * f;
                        sm += m;
                        smm += m * m;
                        sfm += f * m;
                    }
                }

                total += LocalCoefficient(ws * ws, sf, sff, sm, smm, sfm);
            }
        }

        return total / (count * count);
    }

    /// <summary>
    /// LCC of two cubic patches (x fastest, then y, then z): the mean over every ws^3 box window wholly inside the cube
    /// (3 x 3 x 3 = 27 windows of 5^3 voxels in a 7^3 patch) of the local coefficient, squared by default.
    /// </summary>
    private double ScoreCubes(ReadOnlySpan<float> fixedPatch, ReadOnlySpan<float> movingPatch, int patchSize)
    {
        var ws = WindowSize;
        var count = patchSize - ws + 1;
        var plane = patchSize * patchSize;
        var total = 0.0;
        for (var wz = 0; wz < count; wz++)
        {
            for (var wy = 0; wy < count; wy++)
            {
                for (var wx = 0; wx < count; wx++)
                {
                    double sf = 0, sff = 0, sm = 0, smm = 0, sfm = 0;
                    for (var z = wz; z < wz + ws; z++)
                    {
                        for (var y = wy; y < wy + ws; y++)
                        {
                            var row = (z * plane) + (y * patchSize);
                            for (var x = wx; x < wx + ws; x++)
                            {
                                double f = fixedPatch[row + x];
                                double m = movingPatch[row + x];
                                sf += f;
                                sff += f * f;
                                sm += m;
                                smm += m * m;
                                sfm += f * m;
                            }
                        }
                    }

                    total += LocalCoefficient(ws * ws * ws, sf, sff, sm, smm, sfm);
                }
            }
        }

        return total / ((double)count * count * count);
    }

    /// <inheritdoc />
    protected override void ValidatePatchSize(int patchSize)
    {
        if (patchSize < WindowSize)
        {
            throw new ArgumentOutOfRangeException(nameof(patchSize), patchSize, $"LCC with a {WindowSize}x{WindowSize} window needs patches of at least that size.");
        }
    }

    private double LocalCoefficient(int n, double sf, double sff, double sm, double smm, double sfm)
    {
        var vf = sff - (sf * sf / n);
        var vm = smm - (sm * sm / n);
        if (IsFlat(vf, sff) || IsFlat(vm, smm))
        {
            return 0;
        }

        var rho = Math.Clamp((sfm - (sf * sm / n)) / Math.Sqrt(vf * vm), -1, 1);
        return Squared ? rho * rho : rho;
    }

    private protected override void ScoreSearchWindowsCore(SearchWindowJob job, float[] scores, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var p = job.PatchSize;
        var ws = WindowSize;
        var count = p - ws + 1;
        var windows = count * count;
        var nw = ws * ws;
        var w = job.Width;
        var r = job.Radius;
        var sx = job.SizeX;
        var fixedVoxels = NormalizedCrossCorrelationMetric.ToDouble(job.Fixed.VoxelSpan);
        var moving = NormalizedCrossCorrelationMetric.ToDouble(job.Moving.VoxelSpan);

        // Per window position of the moving slices used: the window sum and 1 / sqrt(centred sum of squares)
        // (0 for a flat window, which makes its coefficient 0 as in the reference).
        var boxSum = new double[moving.Length];
        var boxInverseNorm = new double[moving.Length];
        foreach (var z in job.Slices())
        {
            BoxSums(moving, z * job.SliceLength, sx, job.SizeY, ws, boxSum, boxInverseNorm);
        }

        for (var i = 0; i < boxSum.Length; i++)
        {
            boxInverseNorm[i] = InverseNorm(nw, boxSum[i], boxInverseNorm[i]);
        }

        var squared = Squared;
        job.ForEachQuery(
            MaxDegreeOfParallelism,
            () => new LccScratch(p, count),
            (q, s) =>
            {
                var c = job.Centres[q];
                var fixedOrigin = job.PatchOrigin(c.X, c.Y, c.Z);
                for (var row = 0; row < p; row++)
                {
                    fixedVoxels.AsSpan(fixedOrigin + (row * sx), p).CopyTo(s.Fixed.AsSpan(row * p));
                }

                // Fixed window means and inverse norms, once per query.
                for (var wy = 0; wy < count; wy++)
                {
                    for (var wx = 0; wx < count; wx++)
                    {
                        double sf = 0, sff = 0;
                        for (var y = wy; y < wy + ws; y++)
                        {
                            for (var x = wx; x < wx + ws; x++)
                            {
                                var f = s.Fixed[(y * p) + x];
                                sf += f;
                                sff += f * f;
                            }
                        }

                        s.FixedMean[(wy * count) + wx] = sf / nw;
                        s.FixedInverseNorm[(wy * count) + wx] = InverseNorm(nw, sf, sff);
                    }
                }

                var outBase = q * w * w;
                for (var dy = -r; dy <= r; dy++)
                {
                    for (var dx = -r; dx <= r; dx++)
                    {
                        var origin = job.PatchOrigin(c.X + dx, c.Y + dy, c.Z);

                        // Products, then running box sums along rows and down columns.
                        for (var y = 0; y < p; y++)
                        {
                            var mRow = origin + (y * sx);
                            var fRow = y * p;
                            for (var x = 0; x < p; x++)
                            {
                                s.Product[fRow + x] = s.Fixed[fRow + x] * moving[mRow + x];
                            }

                            var acc = 0.0;
                            for (var k = 0; k < ws; k++)
                            {
                                acc += s.Product[fRow + k];
                            }

                            var outRow = y * count;
                            s.RowSums[outRow] = acc;
                            for (var wx = 1; wx < count; wx++)
                            {
                                acc += s.Product[fRow + wx + ws - 1] - s.Product[fRow + wx - 1];
                                s.RowSums[outRow + wx] = acc;
                            }
                        }

                        for (var wx = 0; wx < count; wx++)
                        {
                            var acc = 0.0;
                            for (var k = 0; k < ws; k++)
                            {
                                acc += s.RowSums[(k * count) + wx];
                            }

                            s.ColumnSums[wx] = acc;
                        }

                        var total = 0.0;
                        var windowCentre = origin + (WindowRadius * sx) + WindowRadius;
                        for (var wy = 0; wy < count; wy++)
                        {
                            var mi = windowCentre + (wy * sx);
                            var wi = wy * count;
                            for (var wx = 0; wx < count; wx++, mi++, wi++)
                            {
                                var sfm = s.ColumnSums[wx];
                                var rho = (sfm - (s.FixedMean[wi] * boxSum[mi])) * s.FixedInverseNorm[wi] * boxInverseNorm[mi];
                                rho = Math.Clamp(rho, -1, 1);
                                total += squared ? rho * rho : rho;
                                if (wy + 1 < count)
                                {
                                    s.ColumnSums[wx] = sfm + s.RowSums[((wy + ws) * count) + wx] - s.RowSums[(wy * count) + wx];
                                }
                            }
                        }

                        scores[outBase + ((dy + r) * w) + dx + r] = (float)(total / windows);
                    }
                }
            },
            progress,
            cancellationToken);
    }

    /// <summary>1 / sqrt(sum of squared deviations) of a window, or 0 when the window is flat.</summary>
    private static double InverseNorm(int n, double sum, double sumSquares)
    {
        var centred = sumSquares - (sum * sum / n);
        return IsFlat(centred, sumSquares) ? 0 : 1 / Math.Sqrt(centred);
    }

    /// <summary>Sum and sum of squares of the ws x ws window centred at each voxel of one slice where it fits.</summary>
    private static void BoxSums(double[] voxels, int offset, int sizeX, int sizeY, int ws, double[] sum, double[] squares)
    {
        var h = ws / 2;
        for (var cy = h; cy < sizeY - h; cy++)
        {
            for (var cx = h; cx < sizeX - h; cx++)
            {
                double s = 0, ss = 0;
                for (var y = cy - h; y <= cy + h; y++)
                {
                    for (var x = cx - h; x <= cx + h; x++)
                    {
                        var v = voxels[offset + (y * sizeX) + x];
                        s += v;
                        ss += v * v;
                    }
                }

                sum[offset + (cy * sizeX) + cx] = s;
                squares[offset + (cy * sizeX) + cx] = ss;
            }
        }
    }

    private sealed class LccScratch(int p, int count)
    {
        public double[] Fixed { get; } = new double[p * p];

        public double[] Product { get; } = new double[p * p];

        public double[] RowSums { get; } = new double[p * count];

        public double[] ColumnSums { get; } = new double[count];

        public double[] FixedMean { get; } = new double[count * count];

        public double[] FixedInverseNorm { get; } = new double[count * count];
    }
}
