using DeepSim.Similarity;

namespace DeepSim.Learning;

/// <summary>What a <see cref="FeatureSimilarityModel"/> adds to the cosine of its feature vectors.</summary>
public enum FeatureScoreAnchor
{
    /// <summary>Nothing: the score is the cosine of the two feature vectors (format version 3 and older models).</summary>
    None = 0,

    /// <summary>
    /// A learned weight times the local cross correlation of the two patches (<see cref="LocalCrossCorrelationMetric"/>,
    /// squared coefficient, box windows of radius <see cref="FeatureTrainingOptions.AnchorWindowRadius"/>). The weight
    /// is trained with the networks inside the same softmax, so the networks learn what LCC misses: LCC gives the
    /// sharp peak, the learned features say which of LCC's peaks is right.
    /// </summary>
    Lcc = 1,
}

/// <summary>
/// The LCC term of <see cref="FeatureScoreAnchor.Lcc"/> for training crops: for every query position of a fixed crop
/// and every candidate position of the moving crop, the LCC of their two patches, exactly as
/// <see cref="LocalCrossCorrelationMetric"/> (squared, flat windows count 0) computes it. Every window of the fixed crop
/// is correlated once with every window of the moving crop (one matrix product of centred, unit-length window
/// vectors), and a patch pair's LCC is then the mean of the squared coefficients along one diagonal of that table.
/// </summary>
public static class LccAnchor
{
    /// <summary>
    /// The centred window vectors of an s x s crop: row u = (wy * n + wx) holds the ws^2 values of the window whose
    /// top-left corner is (wx, wy), minus their mean, divided by the square root of their centred sum of squares
    /// (a zero row where the window is flat, as in <see cref="LocalCrossCorrelationMetric"/>). n = s - ws + 1.
    /// Sums in float64.
    /// </summary>
    public static float[] WindowVectors(ReadOnlySpan<float> crop, int side, int windowRadius)
    {
        var ws = (2 * windowRadius) + 1;
        var n = Math.Max(0, side - ws + 1);
        var result = new float[n * n * ws * ws];
        WindowVectors(crop, side, windowRadius, result);
        return result;
    }

    /// <summary>
    /// <see cref="WindowVectors(ReadOnlySpan{float}, int, int)"/> into <paramref name="result"/> (n^2 ws^2 values; the
    /// trainer reuses one buffer, so that no large array is allocated per step).
    /// </summary>
    public static void WindowVectors(ReadOnlySpan<float> crop, int side, int windowRadius, Span<float> result)
    {
        var ws = (2 * windowRadius) + 1;
        var n = side - ws + 1;
        if (windowRadius < 1 || n < 1 || crop.Length < side * side)
        {
            throw new ArgumentException($"A {side}x{side} crop is too small for windows of radius {windowRadius}.", nameof(crop));
        }

        var len = ws * ws;
        if (result.Length < n * n * len)
        {
            throw new ArgumentException($"The destination holds {result.Length} values; {n * n * len} are needed.", nameof(result));
        }

        Span<double> values = stackalloc double[len];
        for (var wy = 0; wy < n; wy++)
        {
            for (var wx = 0; wx < n; wx++)
            {
                double sum = 0, squares = 0;
                var j = 0;
                for (var y = wy; y < wy + ws; y++)
                {
                    for (var x = wx; x < wx + ws; x++, j++)
                    {
                        double v = crop[(y * side) + x];
                        values[j] = v;
                        sum += v;
                        squares += v * v;
                    }
                }

                Centre(values, sum, squares, result.Slice(((wy * n) + wx) * len, len));
            }
        }
    }

    /// <summary>
    /// LCC of query patches against every candidate patch of a crop, from the table <paramref name="squaredCoefficients"/>
    /// (n^2 x n^2: the squared, clamped correlation coefficient of fixed window u against moving window v, n = s - ws + 1;
    /// see <see cref="SquaredCoefficients"/>). A patch of side p at grid position (x, y) (0 &lt;= x, y &lt; s - p + 1) holds
    /// the windows (x + i, y + j), 0 &lt;= i, j &lt; m = p - ws + 1 (<paramref name="patchWindows"/>); the LCC of fixed patch
    /// q and moving patch c is the mean over (i, j) of the table at (q + (i, j), c + (i, j)). Writes, per query (a grid
    /// index y * (s - p + 1) + x), (s - p + 1)^2 values in grid order into <paramref name="destination"/>.
    /// </summary>
    public static void PatchScores(ReadOnlySpan<float> squaredCoefficients, int windowsPerSide, int patchWindows, ReadOnlySpan<int> queries, Span<float> destination)
    {
        var n = windowsPerSide;
        var g = n - patchWindows + 1;
        var area = g * g;
        if (g < 1 || patchWindows < 1 || squaredCoefficients.Length < n * n * n * n || destination.Length < queries.Length * area)
        {
            throw new ArgumentException("The coefficient table, patch size and destination do not fit together.");
        }

        var scale = 1f / (patchWindows * patchWindows);
        var width = System.Numerics.Vector<float>.Count;
        for (var qi = 0; qi < queries.Length; qi++)
        {
            if (queries[qi] < 0 || queries[qi] >= area)
            {
                throw new ArgumentOutOfRangeException(nameof(queries), queries[qi], $"A query must be a grid index below {area}.");
            }

            var qy = queries[qi] / g;
            var qx = queries[qi] % g;

            var acc = destination.Slice(qi * area, area);
            acc.Clear();
            for (var i = 0; i < patchWindows; i++)
            {
                for (var j = 0; j < patchWindows; j++)
                {
                    // Fixed window (qx + j, qy + i) against every moving window; candidate (cx, cy) needs the moving
                    // window (cx + j, cy + i): one shifted g x g block of the row.
                    var row = squaredCoefficients.Slice((((qy + i) * n) + qx + j) * n * n, n * n);
                    for (var cy = 0; cy < g; cy++)
                    {
                        var source = row.Slice(((cy + i) * n) + j, g);
                        var target = acc.Slice(cy * g, g);
                        var x = 0;
                        for (; x <= g - width; x += width)
                        {
                            (new System.Numerics.Vector<float>(target.Slice(x, width)) + new System.Numerics.Vector<float>(source.Slice(x, width))).CopyTo(target.Slice(x, width));
                        }

                        for (; x < g; x++)
                        {
                            target[x] += source[x];
                        }
                    }
                }
            }

            for (var k = 0; k < area; k++)
            {
                acc[k] *= scale;
            }
        }
    }

    /// <summary>
    /// The squared, clamped correlation coefficient of every window of the fixed crop with every window of the moving
    /// crop (both from <see cref="WindowVectors(ReadOnlySpan{float}, int, int)"/>, [..., n^2, ws^2]): an n^2 x n^2 table per crop, row = fixed window (no gradient).
    /// </summary>
    internal static TorchSharp.torch.Tensor SquaredCoefficients(TorchSharp.torch.Tensor fixedWindows, TorchSharp.torch.Tensor movingWindows) =>
        fixedWindows.matmul(movingWindows.transpose(-2, -1)).clamp_(DeepSim.Runtime.HeldScalars.OfInteger(-1), DeepSim.Runtime.HeldScalars.OfInteger(1)).pow_(DeepSim.Runtime.HeldScalars.OfInteger(2));

    /// <summary>
    /// The LCC of every fixed patch position <paramref name="queries"/> of an s x s crop pair against every patch position
    /// of the moving crop ((s - p + 1)^2 per query, grid order), as <see cref="LocalCrossCorrelationMetric"/> with the
    /// squared coefficient would score each pair of patches.
    /// </summary>
    public static float[] CropScores(ReadOnlySpan<float> fixedCrop, ReadOnlySpan<float> movingCrop, int side, int patchSize, int windowRadius, ReadOnlySpan<int> queries)
    {
        var ws = (2 * windowRadius) + 1;
        var n = side - ws + 1;
        var len = ws * ws;
        var f = WindowVectors(fixedCrop, side, windowRadius);
        var m = WindowVectors(movingCrop, side, windowRadius);
        DeepSim.Runtime.TorchRuntime.EnsureInitialized();
        using var scope = TorchSharp.torch.NewDisposeScope();
        using var noGrad = TorchSharp.torch.no_grad();
        var table = SquaredCoefficients(TorchTraining.FromArray(f, [n * n, len]), TorchTraining.FromArray(m, [n * n, len]));
        var values = TorchTraining.ToArray(table);
        var g = side - patchSize + 1;
        var result = new float[queries.Length * g * g];
        PatchScores(values, n, patchSize - ws + 1, queries, result);
        return result;
    }

    /// <summary>
    /// 3D: the centred, unit-length vectors of every ws^3 window of an s^3 crop (x fastest): row
    /// ((wz * n + wy) * n + wx) for the window whose corner is (wx, wy, wz), n = s - ws + 1 (a zero row where flat).
    /// </summary>
    public static void WindowVectors3D(ReadOnlySpan<float> crop, int side, int windowRadius, Span<float> result)
    {
        var ws = (2 * windowRadius) + 1;
        var n = side - ws + 1;
        var len = ws * ws * ws;
        if (windowRadius < 1 || n < 1 || crop.Length < side * side * side || result.Length < n * n * n * len)
        {
            throw new ArgumentException($"A {side}^3 crop and a destination of {result.Length} values do not fit windows of radius {windowRadius}.", nameof(crop));
        }

        for (var wz = 0; wz < n; wz++)
        {
            for (var wy = 0; wy < n; wy++)
            {
                for (var wx = 0; wx < n; wx++)
                {
                    WindowVector3D(crop, side, ws, wx, wy, wz, result.Slice(((((wz * n) + wy) * n) + wx) * len, len));
                }
            }
        }
    }

    /// <summary>
    /// 3D: for each query (a grid index (z * g + y) * g + x of the crop's g^3 patch positions, g = s - p + 1), the
    /// vectors of the m^3 windows of its patch (m = p - ws + 1), row (query * m^3) + (k * m + j) * m + i for the window at
    /// the patch corner + (i, j, k).
    /// </summary>
    public static void QueryWindowVectors3D(ReadOnlySpan<float> crop, int side, int windowRadius, int patchSize, ReadOnlySpan<int> queries, Span<float> result)
    {
        var ws = (2 * windowRadius) + 1;
        var m = patchSize - ws + 1;
        var g = side - patchSize + 1;
        var len = ws * ws * ws;
        if (m < 1 || g < 1 || result.Length < queries.Length * m * m * m * len)
        {
            throw new ArgumentException("The crop, patch, window radius and destination do not fit together.", nameof(result));
        }

        var row = 0;
        foreach (var q in queries)
        {
            if (q < 0 || q >= g * g * g)
            {
                throw new ArgumentOutOfRangeException(nameof(queries), q, $"A query must be a grid index below {g * g * g}.");
            }

            int qx = q % g, qy = q / g % g, qz = q / (g * g);
            for (var k = 0; k < m; k++)
            {
                for (var j = 0; j < m; j++)
                {
                    for (var i = 0; i < m; i++, row++)
                    {
                        WindowVector3D(crop, side, ws, qx + i, qy + j, qz + k, result.Slice(row * len, len));
                    }
                }
            }
        }
    }

    /// <summary>
    /// 3D: the LCC of each query's patch against every candidate patch of the crop (g^3 values per query in grid order,
    /// g = n - m + 1), from <paramref name="squaredCoefficients"/>: per query its m^3 window rows (as
    /// <see cref="QueryWindowVectors3D"/> orders them) against all n^3 moving windows. Candidate c's LCC is the mean over
    /// (i, j, k) of the coefficient of the query's window (i, j, k) with the moving window c + (i, j, k).
    /// </summary>
    public static void PatchScores3D(ReadOnlySpan<float> squaredCoefficients, int windowsPerSide, int patchWindows, int queryCount, Span<float> destination)
    {
        var n = windowsPerSide;
        var m = patchWindows;
        var g = n - m + 1;
        var area = g * g * g;
        var cube = n * n * n;
        var perQuery = m * m * m;
        if (g < 1 || m < 1 || squaredCoefficients.Length < queryCount * perQuery * cube || destination.Length < queryCount * area)
        {
            throw new ArgumentException("The coefficient table, patch size and destination do not fit together.");
        }

        var scale = 1f / perQuery;
        for (var qi = 0; qi < queryCount; qi++)
        {
            var acc = destination.Slice(qi * area, area);
            acc.Clear();
            var w = 0;
            for (var k = 0; k < m; k++)
            {
                for (var j = 0; j < m; j++)
                {
                    for (var i = 0; i < m; i++, w++)
                    {
                        var row = squaredCoefficients.Slice(((qi * perQuery) + w) * cube, cube);
                        for (var cz = 0; cz < g; cz++)
                        {
                            for (var cy = 0; cy < g; cy++)
                            {
                                var source = row.Slice(((((cz + k) * n) + cy + j) * n) + i, g);
                                var target = acc.Slice(((cz * g) + cy) * g, g);
                                for (var x = 0; x < g; x++)
                                {
                                    target[x] += source[x];
                                }
                            }
                        }
                    }
                }
            }

            for (var c = 0; c < area; c++)
            {
                acc[c] *= scale;
            }
        }
    }

    /// <summary>
    /// 3D: the LCC of every fixed patch position <paramref name="queries"/> of an s^3 crop pair against every patch
    /// position of the moving crop ((s - p + 1)^3 per query, grid order), as <see cref="LocalCrossCorrelationMetric"/>
    /// with the squared coefficient scores each pair of cubes.
    /// </summary>
    public static float[] CropScores3D(ReadOnlySpan<float> fixedCrop, ReadOnlySpan<float> movingCrop, int side, int patchSize, int windowRadius, ReadOnlySpan<int> queries)
    {
        var ws = (2 * windowRadius) + 1;
        var n = side - ws + 1;
        var m = patchSize - ws + 1;
        var len = ws * ws * ws;
        var f = new float[queries.Length * m * m * m * len];
        var mv = new float[n * n * n * len];
        QueryWindowVectors3D(fixedCrop, side, windowRadius, patchSize, queries, f);
        WindowVectors3D(movingCrop, side, windowRadius, mv);
        DeepSim.Runtime.TorchRuntime.EnsureInitialized();
        using var scope = TorchSharp.torch.NewDisposeScope();
        using var noGrad = TorchSharp.torch.no_grad();
        var table = SquaredCoefficients(TorchTraining.FromArray(f, [queries.Length * m * m * m, len]), TorchTraining.FromArray(mv, [n * n * n, len]));
        var values = TorchTraining.ToArray(table);
        var g = side - patchSize + 1;
        var result = new float[queries.Length * g * g * g];
        PatchScores3D(values, n, m, queries.Length, result);
        return result;
    }

    private static void WindowVector3D(ReadOnlySpan<float> crop, int side, int ws, int wx, int wy, int wz, Span<float> row)
    {
        double sum = 0, squares = 0;
        Span<double> values = stackalloc double[row.Length];
        var j = 0;
        for (var z = wz; z < wz + ws; z++)
        {
            for (var y = wy; y < wy + ws; y++)
            {
                var start = (((z * side) + y) * side) + wx;
                for (var x = 0; x < ws; x++, j++)
                {
                    double v = crop[start + x];
                    values[j] = v;
                    sum += v;
                    squares += v * v;
                }
            }
        }

        Centre(values, sum, squares, row);
    }

    /// <summary>A window's values minus their mean over the square root of their centred sum of squares; a zero row where flat (as <see cref="LocalCrossCorrelationMetric"/> treats it).</summary>
    private static void Centre(ReadOnlySpan<double> values, double sum, double squares, Span<float> row)
    {
        var len = values.Length;
        var centred = squares - (sum * sum / len);
        if (ClassicalSimilarityMetric.IsFlat(centred, squares))
        {
            row.Clear();
            return;
        }

        var mean = sum / len;
        var inverse = 1 / Math.Sqrt(centred);
        for (var k = 0; k < len; k++)
        {
            row[k] = (float)((values[k] - mean) * inverse);
        }
    }
}
