using System.Globalization;
using DeepSim.Imaging;
using DeepSim.Imaging.Formats;
using DeepSim.Registration;
using Xunit;
using Xunit.Abstractions;

namespace DeepSim.Tests.Registration;

public sealed class ImageAlignmentTests(ITestOutputHelper output)
{
    private const string PairFolder = "ct-mr-head";

    private static MedicalImage Load(string relative) => new PngReader().Read(TestData.Require(relative))[0];

    private static MedicalImage Ct(string name) => Load($"{PairFolder}/CT/{name}");

    private static MedicalImage Mr(string name) => Load($"{PairFolder}/MR/{name}");

    /// <summary>A smooth, structured 64x48 test image with a seeded texture, so MI has one clear peak.</summary>
    private static MedicalImage Synthetic()
    {
        const int w = 64;
        const int h = 48;
        var random = new Random(7);
        var voxels = new float[w * h];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var blob = Math.Exp(-(((x - 30) * (x - 30)) + ((y - 20) * (y - 20))) / 120.0);
                var stripes = 0.5 + (0.5 * Math.Sin(x * 0.4) * Math.Cos(y * 0.3));
                voxels[(y * w) + x] = (float)((100 * blob) + (40 * stripes) + (10 * random.NextDouble()));
            }
        }

        return new MedicalImage(voxels, w, h, 1);
    }

    [Fact]
    public void Shift_moves_content_by_plus_dx_dy_and_fills_uncovered_voxels_with_the_minimum()
    {
        // 4 x 3 image with values 10 * y + x + 1.
        var voxels = new float[12];
        for (var i = 0; i < 12; i++)
        {
            voxels[i] = (10 * (i / 4)) + (i % 4) + 1;
        }

        var geometry = new ImageGeometry([0.5, 0.7, 1], [3, 4, 5], [1, 0, 0, 0, 1, 0, 0, 0, 1]);
        var image = new MedicalImage(voxels, 4, 3, 1, geometry, "MR", "/x/a.png", "PNG", new Dictionary<string, string> { ["Keep"] = "me" });
        var shifted = ImageAlignment.Shift(image, 2, -1);

        for (var y = 0; y < 3; y++)
        {
            for (var x = 0; x < 4; x++)
            {
                var sx = x - 2;
                var sy = y + 1;
                var expected = sx >= 0 && sx < 4 && sy < 3 ? image[sx, sy] : 1f;
                Assert.Equal(expected, shifted[x, y]);
            }
        }

        Assert.Equal(image[0, 1], shifted[2, 0]);
        Assert.True(shifted.SameGridAs(image, 0));
        Assert.Equal(("MR", "/x/a.png", "PNG"), (shifted.Modality, shifted.SourcePath, shifted.Format));
        Assert.Equal("me", shifted.Metadata["Keep"]);
        Assert.Equal("2", shifted.Metadata["ShiftX"]);
        Assert.Equal("-1", shifted.Metadata["ShiftY"]);
        Assert.Equal(12f, image[1, 1]);

        var explicitFill = ImageAlignment.Shift(image, -1, 0, fill: -7f);
        Assert.Equal(-7f, explicitFill[3, 0]);
        Assert.Equal(image[1, 0], explicitFill[0, 0]);

        var twice = ImageAlignment.Shift(shifted, -2, 1);
        Assert.Equal("0", twice.Metadata["ShiftX"]);
        Assert.Equal("0", twice.Metadata["ShiftY"]);

        var gone = ImageAlignment.Shift(image, 9, 0);
        Assert.All(gone.GetVoxels(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void Shift_of_a_volume_shifts_every_slice_in_plane()
    {
        var voxels = Enumerable.Range(0, 3 * 2 * 2).Select(i => (float)i).ToArray();
        var volume = new MedicalImage(voxels, 3, 2, 2);
        var shifted = ImageAlignment.Shift(volume, 1, 1, fill: -1);
        Assert.Equal(volume[0, 0, 0], shifted[1, 1, 0]);
        Assert.Equal(volume[1, 0, 1], shifted[2, 1, 1]);
        Assert.Equal(-1f, shifted[0, 0, 1]);
        Assert.Equal(-1f, shifted[2, 0, 0]);
    }

    [Theory]
    [InlineData(3, -5, MutualInformationRegion.Overlap)]
    [InlineData(-8, 2, MutualInformationRegion.Overlap)]
    [InlineData(0, 0, MutualInformationRegion.Overlap)]
    [InlineData(1, 7, MutualInformationRegion.Overlap)]
    [InlineData(3, -5, MutualInformationRegion.FixedImage)]
    [InlineData(-8, 2, MutualInformationRegion.FixedImage)]
    [InlineData(0, 0, MutualInformationRegion.FixedImage)]
    public void A_synthetic_shift_of_a_synthetic_image_is_recovered_exactly(int dx, int dy, MutualInformationRegion region)
    {
        var image = Synthetic();
        var estimate = ImageAlignment.EstimateTranslation(image, ImageAlignment.Shift(image, dx, dy), region);
        Assert.Equal((dx, dy), (estimate.Dx, estimate.Dy));
        Assert.Equal(Math.Abs(dx) == 8 || Math.Abs(dy) == 8, estimate.AtSearchBorder);
        Assert.True(estimate.MutualInformation >= estimate.MutualInformationAtZero);
    }

    [Fact]
    public void Estimating_needs_2D_images_and_sane_settings()
    {
        var image = Synthetic();
        var volume = new MedicalImage(new float[64 * 48 * 2], 64, 48, 2);
        Assert.Throws<ArgumentException>(() => ImageAlignment.EstimateTranslation(volume, image));
        Assert.Throws<ArgumentException>(() => ImageAlignment.EstimateTranslation(image, volume));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageAlignment.EstimateTranslation(image, image, bins: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageAlignment.EstimateTranslation(image, image, bins: 257));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageAlignment.EstimateTranslation(image, image, maxShift: -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageAlignment.EstimateTranslation(image, image, maxShift: 48));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageAlignment.EstimateTranslation(image, image, (MutualInformationRegion)7));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => ImageAlignment.EstimateTranslation(image, image, ct: cancelled.Token));
    }

    [Fact]
    public void Images_of_different_sizes_are_compared_over_their_overlap()
    {
        var image = Synthetic();
        var voxels = image.GetVoxels();
        var cropped = new float[60 * 40];
        for (var y = 0; y < 40; y++)
        {
            Array.Copy(voxels, (y * 64) + 0, cropped, y * 60, 60);
        }

        // The crop is the image's top-left 60x40 corner, so cropped(x, y) = image(x, y): shift (0, 0), either way round.
        var smaller = new MedicalImage(cropped, 60, 40, 1);
        Assert.Equal((0, 0), Pick(ImageAlignment.EstimateTranslation(image, ImageAlignment.Shift(smaller, 0, 0))));
        var shifted = ImageAlignment.Shift(smaller, -2, 3);
        Assert.Equal((-2, 3), Pick(ImageAlignment.EstimateTranslation(image, shifted)));
        Assert.Equal((2, -3), Pick(ImageAlignment.EstimateTranslation(shifted, image)));
    }

    [SkippableFact]
    public void A_synthetic_shift_of_a_real_MR_slice_is_recovered_exactly_and_corrected_to_zero()
    {
        var mr = Mr("21012.png");
        var moved = ImageAlignment.Shift(mr, 3, -5);
        var estimate = ImageAlignment.EstimateTranslation(mr, moved);
        Assert.Equal((3, -5), Pick(estimate));
        Assert.False(estimate.AtSearchBorder);

        var corrected = ImageAlignment.Correct(moved, estimate);
        Assert.Equal((0, 0), Pick(ImageAlignment.EstimateTranslation(mr, corrected)));
    }

    [SkippableTheory]
    [InlineData("16010.png")]
    [InlineData("28013.png")]
    [InlineData("21006.png")]
    [InlineData("34019.png")]
    public void A_synthetic_shift_of_the_MR_adds_to_the_CT_MR_estimate_and_correcting_gives_zero(string name)
    {
        var ct = Ct(name);
        var mr = Mr(name);
        var original = ImageAlignment.EstimateTranslation(ct, mr);
        var moved = ImageAlignment.EstimateTranslation(ct, ImageAlignment.Shift(mr, 3, -5), maxShift: 14);
        Assert.Equal((original.Dx + 3, original.Dy - 5), Pick(moved));

        var corrected = ImageAlignment.Correct(mr, original);
        var after = ImageAlignment.EstimateTranslation(ct, corrected);
        Assert.Equal((0, 0), Pick(after));
        Assert.Equal(after.MutualInformation, after.MutualInformationAtZero);
        Assert.Equal((-original.Dx).ToString(CultureInfo.InvariantCulture), corrected.Metadata["ShiftX"]);
        Assert.Equal((-original.Dy).ToString(CultureInfo.InvariantCulture), corrected.Metadata["ShiftY"]);
        output.WriteLine($"{name}: estimate {original}");
    }

    [SkippableFact]
    public void Mutual_information_and_the_peak_equal_a_NumPy_reference_on_real_pairs()
    {
        PythonOracle.Require("numpy", "skimage");
        string[] names = ["16007.png", "20018.png", "2020.png", "21006.png", "37016.png"];
        var script = """
            import sys, numpy as np
            from skimage import io
            def q(a, b):
                e = np.linspace(a.min(), a.max(), b + 1)
                return np.clip(np.searchsorted(e, a, side='right') - 1, 0, b - 1)
            def mi(f, m, b):
                p = np.bincount((f * b + m).ravel(), minlength=b * b).astype(float).reshape(b, b)
                p /= p.sum()
                r = p.sum(1, keepdims=True); c = p.sum(0, keepdims=True)
                nz = p > 0
                return (p[nz] * np.log(p[nz] / (r @ c)[nz])).sum()
            b, S = 32, 8
            for ct_path, mr_path in zip(sys.argv[1::2], sys.argv[2::2]):
                F = q(io.imread(ct_path).astype(float), b); M = q(io.imread(mr_path).astype(float), b)
                H, W = F.shape
                out = []
                for whole in (False, True):
                    best = None
                    for dy in range(-S, S + 1):
                        for dx in range(-S, S + 1):
                            y0, y1, x0, x1 = max(0, -dy), min(H, H - dy), max(0, -dx), min(W, W - dx)
                            if whole:
                                # the moving image shifted with its lowest bin filled in, over the whole grid
                                Mp = np.zeros_like(M)
                                Mp[y0:y1, x0:x1] = M[y0 + dy:y1 + dy, x0 + dx:x1 + dx]
                                v = mi(F, Mp, b)
                            else:
                                v = mi(F[y0:y1, x0:x1], M[y0 + dy:y1 + dy, x0 + dx:x1 + dx], b)
                            if best is None or v > best[0]:
                                best = (v, dx, dy)
                    out += [str(best[1]), str(best[2]), repr(best[0])]
                print(' '.join(out + [repr(mi(F, M, b))]))
            """;
        var arguments = names.SelectMany(n => new[] { TestData.Require($"{PairFolder}/CT/{n}"), TestData.Require($"{PairFolder}/MR/{n}") }).ToArray();
        var lines = PythonOracle.Run(script, arguments).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(names.Length, lines.Length);
        for (var i = 0; i < names.Length; i++)
        {
            var f = lines[i].Split(' ');
            var overlap = ImageAlignment.EstimateTranslation(Ct(names[i]), Mr(names[i]));
            var whole = ImageAlignment.EstimateTranslation(Ct(names[i]), Mr(names[i]), MutualInformationRegion.FixedImage);
            output.WriteLine($"{names[i]}: NumPy {lines[i]} | DeepSim {overlap} | {whole}");
            Assert.Equal((int.Parse(f[0], CultureInfo.InvariantCulture), int.Parse(f[1], CultureInfo.InvariantCulture)), Pick(overlap));
            Assert.Equal(double.Parse(f[2], CultureInfo.InvariantCulture), overlap.MutualInformation, 1e-10);
            Assert.Equal((int.Parse(f[3], CultureInfo.InvariantCulture), int.Parse(f[4], CultureInfo.InvariantCulture)), Pick(whole));
            Assert.Equal(double.Parse(f[5], CultureInfo.InvariantCulture), whole.MutualInformation, 1e-10);
            Assert.Equal(double.Parse(f[6], CultureInfo.InvariantCulture), overlap.MutualInformationAtZero, 1e-10);
            Assert.Equal(double.Parse(f[6], CultureInfo.InvariantCulture), whole.MutualInformationAtZero, 1e-10);
        }
    }

    /// <summary>
    /// The data set's mi-peak-shift.tsv (columns file, dy, dx) uses DeepSim's sign convention with CT fixed and MR
    /// moving: its (dx, dy) agrees exactly with DeepSim's default (overlap) estimate on 112 of 147 pairs and within
    /// 1 px on 134 (91 %); the negated convention agrees on 14. The table was evidently measured over the whole image:
    /// <see cref="MutualInformationRegion.FixedImage"/> (like NumPy with np.roll or a zero-filled shift) agrees exactly
    /// on 130 and within 1 px on 142 (97 %). The MI peak is flat (gains of 0.001-0.02 nats), so the region moves it.
    /// </summary>
    [SkippableFact]
    public void Estimates_on_the_real_CT_MR_pairs_agree_with_the_data_sets_MI_peak_table()
    {
        var rows = File.ReadAllLines(TestData.Require($"{PairFolder}/mi-peak-shift.tsv"));
        Assert.Equal(["file", "dy", "dx"], rows[0].Split('\t'));
        int exact = 0, withinOne = 0, negated = 0, total = 0, wholeExact = 0, wholeWithinOne = 0;
        foreach (var row in rows.Skip(1).Where(r => r.Length > 0))
        {
            var f = row.Split('\t');
            var dy = int.Parse(f[1], CultureInfo.InvariantCulture);
            var dx = int.Parse(f[2], CultureInfo.InvariantCulture);
            var ct = Ct(f[0]);
            var mr = Mr(f[0]);
            var e = ImageAlignment.EstimateTranslation(ct, mr);
            var w = ImageAlignment.EstimateTranslation(ct, mr, MutualInformationRegion.FixedImage);
            wholeExact += w.Dx == dx && w.Dy == dy ? 1 : 0;
            wholeWithinOne += Math.Abs(w.Dx - dx) <= 1 && Math.Abs(w.Dy - dy) <= 1 ? 1 : 0;
            total++;
            exact += e.Dx == dx && e.Dy == dy ? 1 : 0;
            negated += e.Dx == -dx && e.Dy == -dy ? 1 : 0;
            var close = Math.Abs(e.Dx - dx) <= 1 && Math.Abs(e.Dy - dy) <= 1;
            withinOne += close ? 1 : 0;
            if (!close)
            {
                output.WriteLine($"{f[0]}: table (dx {dx}, dy {dy}), DeepSim overlap (dx {e.Dx}, dy {e.Dy}) MI {e.MutualInformation:F4} vs {e.MutualInformationAtZero:F4} at zero{(e.AtSearchBorder ? ", at search border" : string.Empty)}; whole image (dx {w.Dx}, dy {w.Dy})");
            }
        }

        output.WriteLine($"{total} pairs, overlap MI: exact {exact}, within 1 px {withinOne}, negated convention {negated}");
        output.WriteLine($"{total} pairs, whole-image MI: exact {wholeExact}, within 1 px {wholeWithinOne}");
        Assert.Equal(147, total);
        Assert.True(withinOne >= 0.9 * total, $"only {withinOne} of {total} pairs within 1 px of the table");
        Assert.True(exact >= 0.75 * total, $"only {exact} of {total} pairs agree exactly with the table");
        Assert.True(negated < exact / 4, "the table's sign convention should be DeepSim's, not its negation");
        Assert.True(wholeWithinOne >= 0.95 * total, $"whole-image MI: only {wholeWithinOne} of {total} pairs within 1 px of the table");
        Assert.True(wholeExact >= 0.85 * total, $"whole-image MI: only {wholeExact} of {total} pairs agree exactly with the table");
    }

    private static (int Dx, int Dy) Pick(TranslationEstimate e) => (e.Dx, e.Dy);
}
