namespace DeepSim.Similarity;

/// <summary>Shannon entropy in nats from histogram counts: H = ln N - (sum of n ln n) / N.</summary>
internal static class Entropy
{
    public static double NLogN(int n) => n <= 1 ? 0 : n * Math.Log(n);

    /// <summary>n ln n for n = 0..max, so that the search loops need no logarithm.</summary>
    public static double[] NLogNTable(int max)
    {
        var table = new double[max + 1];
        for (var n = 0; n <= max; n++)
        {
            table[n] = NLogN(n);
        }

        return table;
    }

    public static double FromSumNLogN(double sumNLogN, int total) => total <= 0 ? 0 : Math.Max(0, Math.Log(total) - (sumNLogN / total));

    public static double FromCounts(ReadOnlySpan<int> counts, int total)
    {
        var s = 0.0;
        foreach (var n in counts)
        {
            s += NLogN(n);
        }

        return FromSumNLogN(s, total);
    }
}
