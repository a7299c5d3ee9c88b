namespace DeepSim.Similarity;

/// <summary>Summed-area tables of one slice's values and squared values, for O(1) sums over any rectangle.</summary>
internal sealed class IntegralImages
{
    private readonly double[] _sum;
    private readonly double[] _sumSquares;
    private readonly int _stride;

    private IntegralImages(double[] sum, double[] sumSquares, int stride)
    {
        _sum = sum;
        _sumSquares = sumSquares;
        _stride = stride;
    }

    public static IntegralImages Build(double[] voxels, int offset, int sizeX, int sizeY)
    {
        var stride = sizeX + 1;
        var sum = new double[stride * (sizeY + 1)];
        var squares = new double[stride * (sizeY + 1)];
        for (var y = 0; y < sizeY; y++)
        {
            double rowSum = 0, rowSquares = 0;
            for (var x = 0; x < sizeX; x++)
            {
                var v = voxels[offset + (y * sizeX) + x];
                rowSum += v;
                rowSquares += v * v;
                var k = ((y + 1) * stride) + x + 1;
                sum[k] = sum[k - stride] + rowSum;
                squares[k] = squares[k - stride] + rowSquares;
            }
        }

        return new IntegralImages(sum, squares, stride);
    }

    /// <summary>Sum and sum of squares over the size x size square with top-left corner (x0, y0).</summary>
    public (double Sum, double SumSquares) Sum(int x0, int y0, int size)
    {
        var a = (y0 * _stride) + x0;
        var b = a + size;
        var c = a + (size * _stride);
        var d = c + size;
        return (_sum[d] - _sum[b] - _sum[c] + _sum[a], _sumSquares[d] - _sumSquares[b] - _sumSquares[c] + _sumSquares[a]);
    }
}
