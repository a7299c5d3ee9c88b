namespace DeepSim.Similarity;

/// <summary>
/// The moving image's bin indices, prepared once per search so that the 6,561 candidates of each of the queries
/// only count their joint histogram: with an image or fixed range, every voxel's bin; with per-patch ranges, every
/// patch position's own 17 x 17 bins (candidates of different queries overlap, so each position is quantised once
/// instead of once per query). Also each position's moving-patch entropy. When the per-patch table would be too
/// large (big 3D searches), candidates are quantised on the fly instead.
/// </summary>
internal sealed class MovingPatchBins
{
    private readonly SearchWindowJob _job;
    private readonly HistogramBinning _binning;
    private readonly float[] _voxels;
    private readonly byte[]? _voxelBins;
    private readonly Dictionary<int, byte[]>? _patchBins;
    private readonly Dictionary<int, double[]>? _entropy;

    private MovingPatchBins(SearchWindowJob job, HistogramBinning binning, float[] voxels, byte[]? voxelBins, Dictionary<int, byte[]>? patchBins, Dictionary<int, double[]>? entropy)
    {
        _job = job;
        _binning = binning;
        _voxels = voxels;
        _voxelBins = voxelBins;
        _patchBins = patchBins;
        _entropy = entropy;
    }

    public static MovingPatchBins Build(SearchWindowJob job, HistogramBinning binning, int maxDegreeOfParallelism, long maxPatchTableBytes, CancellationToken cancellationToken)
    {
        var voxels = job.Moving.GetVoxels();
        var slices = job.Slices();
        var p = job.PatchSize;
        var n = p * p;
        var h = job.Half;
        var sx = job.SizeX;
        var sy = job.SizeY;
        var bins = binning.Bins;
        var options = new ParallelOptions { CancellationToken = cancellationToken, MaxDegreeOfParallelism = maxDegreeOfParallelism <= 0 ? -1 : maxDegreeOfParallelism };
        byte[]? voxelBins = null;
        Dictionary<int, byte[]>? patchBins = null;
        if (binning.Mode != IntensityRangeMode.PerPatch)
        {
            var (min, max) = job.Moving.GetRange();
            voxelBins = new byte[voxels.Length];
            binning.QuantizerFor(min, max).Bin(voxels, voxelBins);
        }
        else if ((long)slices.Length * job.SliceLength * n <= maxPatchTableBytes)
        {
            patchBins = slices.ToDictionary(z => z, _ => new byte[job.SliceLength * n]);
        }
        else
        {
            return new MovingPatchBins(job, binning, voxels, null, null, null);
        }

        var entropy = slices.ToDictionary(z => z, _ => new double[job.SliceLength]);
        foreach (var z in slices)
        {
            var sliceEntropy = entropy[z];
            var slicePatches = patchBins?[z];
            var offset = z * job.SliceLength;
            Parallel.For(h, sy - h, options, () => (Patch: new float[n], Bins: new byte[n], Counts: new int[bins]), (y, _, s) =>
            {
                for (var x = h; x < sx - h; x++)
                {
                    var origin = offset + ((y - h) * sx) + x - h;
                    Span<byte> patchBins = s.Bins;
                    if (slicePatches is not null)
                    {
                        job.CopyPatch(voxels, origin, s.Patch);
                        var (min, max) = Quantizer.RangeOf(s.Patch);
                        patchBins = slicePatches.AsSpan(((y * sx) + x) * n, n);
                        new Quantizer(min, max, bins).Bin(s.Patch, patchBins);
                    }
                    else
                    {
                        for (var row = 0; row < p; row++)
                        {
                            voxelBins.AsSpan(origin + (row * sx), p).CopyTo(s.Bins.AsSpan(row * p));
                        }
                    }

                    Array.Clear(s.Counts);
                    foreach (var b in patchBins)
                    {
                        s.Counts[b]++;
                    }

                    sliceEntropy[(y * sx) + x] = Entropy.FromCounts(s.Counts, n);
                }

                return s;
            }, _ => { });
        }

        return new MovingPatchBins(job, binning, voxels, voxelBins, patchBins, entropy);
    }

    /// <summary>
    /// Counts the joint histogram of the fixed patch (bins given as row offsets bin * B in the scratch) and the
    /// moving patch centred at (x, y, z); returns the sum of n ln n over the joint counts and the moving entropy.
    /// The scratch's joint histogram is left zeroed.
    /// </summary>
    public unsafe (double JointSum, double MovingEntropy) JointSum(int x, int y, int z, InformationTheoreticMetric.HistogramScratch s, double[] table)
    {
        var p = _job.PatchSize;
        var n = p * p;
        var sliceIndex = (y * _job.SizeX) + x;
        byte[] source;
        int start;
        int stride;
        var movingEntropy = 0.0;
        if (_voxelBins is not null)
        {
            source = _voxelBins;
            start = _job.PatchOrigin(x, y, z);
            stride = _job.SizeX;
            movingEntropy = _entropy![z][sliceIndex];
        }
        else if (_patchBins is not null)
        {
            source = _patchBins[z];
            start = sliceIndex * n;
            stride = p;
            movingEntropy = _entropy![z][sliceIndex];
        }
        else
        {
            _job.CopyPatch(_voxels, _job.PatchOrigin(x, y, z), s.Patch);
            var (min, max) = Quantizer.RangeOf(s.Patch);
            new Quantizer(min, max, _binning.Bins).Bin(s.Patch, s.MovingBins);
            Array.Clear(s.MarginalCounts);
            foreach (var b in s.MovingBins)
            {
                s.MarginalCounts[b]++;
            }

            movingEntropy = Entropy.FromCounts(s.MarginalCounts, n);
            source = s.MovingBins;
            start = 0;
            stride = p;
        }

        var touched = 0;
        var sum = 0.0;
        fixed (byte* src = &source[start])
        fixed (int* joint = s.Joint, rowOffset = s.FixedRowOffset, list = s.Touched)
        fixed (double* nlogn = table)
        {
            var i = 0;
            for (var row = 0; row < p; row++)
            {
                var line = src + (row * stride);
                for (var col = 0; col < p; col++, i++)
                {
                    var idx = rowOffset[i] + line[col];
                    if (joint[idx]++ == 0)
                    {
                        list[touched++] = idx;
                    }
                }
            }

            for (var k = 0; k < touched; k++)
            {
                var idx = list[k];
                sum += nlogn[joint[idx]];
                joint[idx] = 0;
            }
        }

        return (sum, movingEntropy);
    }
}
