using System.Globalization;
using DeepSim.Imaging;
using DeepSim.Similarity;

namespace DeepSim.Registration;

/// <summary>
/// Rigid, integer-translation alignment of 2D image pairs by exhaustive mutual-information search, for data sets whose
/// slice pairs are off by a few voxels (the CT/MR head pairs are off by up to 8 px).
/// </summary>
/// <remarks>
/// Sign convention (see <see cref="TranslationEstimate"/>): an estimate (Dx, Dy) means moving(x + Dx, y + Dy) shows what
/// fixed(x, y) shows. <see cref="Shift"/> moves an image's content by (+dx, +dy), so
/// <c>EstimateTranslation(fixed, Shift(fixed, 3, -5))</c> is (3, -5) and <c>Shift(moving, -Dx, -Dy)</c>
/// (<see cref="Correct"/>) aligns the moving image with the fixed one.
/// </remarks>
public static class ImageAlignment
{
    /// <summary>
    /// Finds the integer shift (Dx, Dy) in [-maxShift, maxShift]² that maximises the mutual information of the fixed
    /// image and the moving image over their overlap.
    /// </summary>
    /// <remarks>
    /// Each image is quantised once into <paramref name="bins"/> bins over its own whole-image min/max range, with
    /// NumPy's histogram edges (see <see cref="HistogramBinning"/>). For every candidate shift the joint histogram is
    /// built from the voxels where both images are defined (fixed(x, y) paired with moving(x + Dx, y + Dy)), the
    /// marginals come from that same overlap, and MI = Σ p(i,j) ln(p(i,j) / (p(i) p(j))) in nats. Exact ties go to the
    /// shift nearest (0, 0), then to the lowest (Dy, Dx) in row-major order, so the result is deterministic.
    /// The images may differ in size; both must be 2D.
    /// </remarks>
    /// <param name="fixedImage">The reference image (2D).</param>
    /// <param name="movingImage">The image whose displacement is measured (2D).</param>
    /// <param name="maxShift">Largest |Dx| and |Dy| tried; 0 to smaller than either image's width and height.</param>
    /// <param name="bins">Histogram bins per image, 2 to 256.</param>
    /// <param name="ct">Cancels the search.</param>
    /// <exception cref="ArgumentException">An image is not 2D.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxShift"/> or <paramref name="bins"/> is out of range.</exception>
    public static TranslationEstimate EstimateTranslation(
        MedicalImage fixedImage, MedicalImage movingImage, int maxShift = 8, int bins = 32, CancellationToken ct = default) =>
        EstimateTranslation(fixedImage, movingImage, MutualInformationRegion.Overlap, maxShift, bins, ct);

    /// <summary>
    /// As <see cref="EstimateTranslation(MedicalImage, MedicalImage, int, int, CancellationToken)"/>, with the choice of
    /// the region the mutual information is measured over (see <see cref="MutualInformationRegion"/>).
    /// </summary>
    /// <param name="fixedImage">The reference image (2D).</param>
    /// <param name="movingImage">The image whose displacement is measured (2D).</param>
    /// <param name="region">Overlap only, or the whole fixed image with uncovered voxels in the moving image's lowest bin.</param>
    /// <param name="maxShift">Largest |Dx| and |Dy| tried; 0 to smaller than either image's width and height.</param>
    /// <param name="bins">Histogram bins per image, 2 to 256.</param>
    /// <param name="ct">Cancels the search.</param>
    /// <exception cref="ArgumentException">An image is not 2D.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxShift"/>, <paramref name="bins"/> or <paramref name="region"/> is out of range.</exception>
    public static TranslationEstimate EstimateTranslation(
        MedicalImage fixedImage, MedicalImage movingImage, MutualInformationRegion region, int maxShift = 8, int bins = 32, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(fixedImage);
        ArgumentNullException.ThrowIfNull(movingImage);
        Require2D(fixedImage, nameof(fixedImage));
        Require2D(movingImage, nameof(movingImage));
        if (bins < 2 || bins > 256)
        {
            throw new ArgumentOutOfRangeException(nameof(bins), bins, "The number of histogram bins must be between 2 and 256.");
        }

        var smallest = Math.Min(Math.Min(fixedImage.SizeX, fixedImage.SizeY), Math.Min(movingImage.SizeX, movingImage.SizeY));
        if (maxShift < 0 || maxShift >= smallest)
        {
            throw new ArgumentOutOfRangeException(nameof(maxShift), maxShift, $"The maximum shift must be between 0 and {smallest - 1} (the smallest image side minus 1).");
        }

        if (!Enum.IsDefined(region))
        {
            throw new ArgumentOutOfRangeException(nameof(region), region, "Unknown mutual-information region.");
        }

        var fixedBins = Quantise(fixedImage, bins);
        var fixedTotals = region == MutualInformationRegion.FixedImage ? BinCounts(fixedBins, bins) : null;
        var movingBins = Quantise(movingImage, bins);
        var side = (2 * maxShift) + 1;
        var scores = new double[side * side];
        var options = new ParallelOptions { CancellationToken = ct };
        Parallel.For(
            0,
            scores.Length,
            options,
            () => new int[bins * bins],
            (index, _, joint) =>
            {
                var dy = (index / side) - maxShift;
                var dx = (index % side) - maxShift;
                Joint(fixedBins, fixedImage.SizeX, fixedImage.SizeY, movingBins, movingImage.SizeX, movingImage.SizeY, dx, dy, bins, joint);
                if (fixedTotals is not null)
                {
                    // Fixed voxels the moving image does not cover pair with the moving image's lowest bin (its minimum).
                    for (var i = 0; i < bins; i++)
                    {
                        var covered = 0;
                        for (var j = 0; j < bins; j++)
                        {
                            covered += joint[(i * bins) + j];
                        }

                        joint[i * bins] += fixedTotals[i] - covered;
                    }
                }

                scores[index] = MutualInformation(joint, bins);
                return joint;
            },
            _ => { });

        var best = -1;
        for (var i = 0; i < scores.Length; i++)
        {
            if (best < 0 || scores[i] > scores[best] || (scores[i] == scores[best] && Distance(i, side, maxShift) < Distance(best, side, maxShift)))
            {
                best = i;
            }
        }

        var bestDy = (best / side) - maxShift;
        var bestDx = (best % side) - maxShift;
        var atZero = scores[(maxShift * side) + maxShift];
        var border = maxShift > 0 && (Math.Abs(bestDx) == maxShift || Math.Abs(bestDy) == maxShift);
        return new TranslationEstimate(bestDx, bestDy, scores[best], atZero, border);
    }

    /// <summary>
    /// A new image whose content is moved by (+dx, +dy) voxels: result(x + dx, y + dy) = image(x, y) (per slice for a
    /// 3D image). Voxels the shift uncovers take <paramref name="fill"/>, or the image's minimum when it is null.
    /// </summary>
    /// <remarks>
    /// The grid (size, spacing, origin, direction), modality, source path and format stay the same. Metadata is copied
    /// and gains "ShiftX" / "ShiftY" (invariant integers); when the input already carries integer ShiftX / ShiftY keys
    /// (it was shifted before), the new values are the sums, so they always state the total displacement applied.
    /// </remarks>
    /// <param name="image">The image to shift.</param>
    /// <param name="dx">Displacement along x (columns), in voxels.</param>
    /// <param name="dy">Displacement along y (rows), in voxels.</param>
    /// <param name="fill">Value for uncovered voxels; null for the image's minimum.</param>
    public static MedicalImage Shift(MedicalImage image, int dx, int dy, float? fill = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        var sizeX = image.SizeX;
        var sizeY = image.SizeY;
        var source = image.VoxelSpan;
        var fillValue = fill ?? image.GetRange().Min;
        var result = new float[source.Length];
        Array.Fill(result, fillValue);

        // result(x, y) = image(x - dx, y - dy) where the source lies inside the image.
        var x0 = Math.Max(0, dx);
        var x1 = Math.Min(sizeX, sizeX + dx);
        var y0 = Math.Max(0, dy);
        var y1 = Math.Min(sizeY, sizeY + dy);
        if (x1 > x0 && y1 > y0)
        {
            var width = x1 - x0;
            for (var z = 0; z < image.SizeZ; z++)
            {
                var slice = z * sizeX * sizeY;
                for (var y = y0; y < y1; y++)
                {
                    source.Slice(slice + ((y - dy) * sizeX) + x0 - dx, width).CopyTo(result.AsSpan(slice + (y * sizeX) + x0, width));
                }
            }
        }

        var metadata = new Dictionary<string, string>(image.Metadata)
        {
            ["ShiftX"] = (dx + PreviousShift(image, "ShiftX")).ToString(CultureInfo.InvariantCulture),
            ["ShiftY"] = (dy + PreviousShift(image, "ShiftY")).ToString(CultureInfo.InvariantCulture),
        };
        return new MedicalImage(result, sizeX, sizeY, image.SizeZ, image.Geometry, image.Modality, image.SourcePath, image.Format, metadata);
    }

    /// <summary>
    /// Applies an estimate to the moving image it was measured on: <c>Shift(moving, -estimate.Dx, -estimate.Dy, fill)</c>,
    /// after which the moving image lies on the fixed image.
    /// </summary>
    /// <param name="movingImage">The moving image the estimate was measured on.</param>
    /// <param name="estimate">Its estimate.</param>
    /// <param name="fill">Value for uncovered voxels; null for the image's minimum.</param>
    public static MedicalImage Correct(MedicalImage movingImage, TranslationEstimate estimate, float? fill = null)
    {
        ArgumentNullException.ThrowIfNull(estimate);
        return Shift(movingImage, -estimate.Dx, -estimate.Dy, fill);
    }

    private static void Require2D(MedicalImage image, string name)
    {
        if (image.SizeZ != 1)
        {
            throw new ArgumentException($"Translation estimation needs 2D images; {image} has {image.SizeZ} slices.", name);
        }
    }

    private static int PreviousShift(MedicalImage image, string key) =>
        image.Metadata.TryGetValue(key, out var text) && int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : 0;

    private static int Distance(int index, int side, int maxShift)
    {
        var dy = (index / side) - maxShift;
        var dx = (index % side) - maxShift;
        return (dx * dx) + (dy * dy);
    }

    private static byte[] Quantise(MedicalImage image, int bins)
    {
        var (min, max) = image.GetRange();
        var quantizer = new Quantizer(min, max, bins);
        var voxels = image.VoxelSpan;
        var result = new byte[voxels.Length];
        for (var i = 0; i < voxels.Length; i++)
        {
            result[i] = (byte)quantizer.Bin(voxels[i]);
        }

        return result;
    }

    private static int[] BinCounts(byte[] quantised, int bins)
    {
        var counts = new int[bins];
        foreach (var b in quantised)
        {
            counts[b]++;
        }

        return counts;
    }

    /// <summary>Fills <paramref name="joint"/> with the joint histogram of fixed(x, y) and moving(x + dx, y + dy) over the overlap.</summary>
    private static void Joint(
        byte[] fixedBins, int fixedX, int fixedY, byte[] movingBins, int movingX, int movingY, int dx, int dy, int bins, int[] joint)
    {
        Array.Clear(joint);
        var x0 = Math.Max(0, -dx);
        var x1 = Math.Min(fixedX, movingX - dx);
        var y0 = Math.Max(0, -dy);
        var y1 = Math.Min(fixedY, movingY - dy);
        if (x1 <= x0 || y1 <= y0)
        {
            return;
        }

        var width = x1 - x0;
        for (var y = y0; y < y1; y++)
        {
            var f = fixedBins.AsSpan((y * fixedX) + x0, width);
            var m = movingBins.AsSpan(((y + dy) * movingX) + x0 + dx, width);
            for (var x = 0; x < f.Length; x++)
            {
                joint[(f[x] * bins) + m[x]]++;
            }
        }
    }

    /// <summary>MI (nats) of a joint histogram (rows: fixed bins, columns: moving bins); 0 when it is empty.</summary>
    private static double MutualInformation(int[] joint, int bins)
    {
        Span<long> rows = stackalloc long[bins];
        Span<long> columns = stackalloc long[bins];
        for (var i = 0; i < bins; i++)
        {
            for (var j = 0; j < bins; j++)
            {
                var c = joint[(i * bins) + j];
                rows[i] += c;
                columns[j] += c;
            }
        }

        double n = 0;
        foreach (var r in rows)
        {
            n += r;
        }

        if (n == 0)
        {
            return 0;
        }

        var mi = 0.0;
        for (var i = 0; i < bins; i++)
        {
            for (var j = 0; j < bins; j++)
            {
                var c = joint[(i * bins) + j];
                if (c > 0)
                {
                    mi += c * Math.Log(c * n / ((double)rows[i] * columns[j]));
                }
            }
        }

        return mi / n;
    }
}
