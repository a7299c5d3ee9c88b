using DeepSim.Patches;

namespace DeepSim.Similarity;

/// <summary>Which intensity range a histogram measure spreads its bins over.</summary>
public enum IntensityRangeMode
{
    /// <summary>
    /// Each whole image's range (<see cref="PatchPair.FixedRange"/> / <see cref="PatchPair.MovingRange"/>, or the
    /// images' min/max in a search). Every candidate patch is quantised identically, so scores within one search
    /// window differ only because the content differs. This is the default.
    /// </summary>
    Image = 0,

    /// <summary>
    /// Each patch's own min/max, as scikit-image does when it is called on a pair of patches
    /// (np.histogramdd over each array's range). Invariant to a per-patch affine intensity change, but a single
    /// outlier voxel re-bins the whole candidate.
    /// </summary>
    PerPatch = 1,

    /// <summary>An explicit [Min, Max] for both images (values outside are clamped into the first or last bin).</summary>
    Fixed = 2,
}

/// <summary>
/// How a histogram-based measure (NMI, MI, correlation ratio) quantises intensities: the number of bins and the
/// range the bins cover. Bin edges follow NumPy's histogram exactly: edge k = Min + k * (Max - Min) / Bins,
/// a value v falls in bin k when edge k &lt;= v &lt; edge k+1, the maximum falls in the last bin, and an empty
/// range [v, v] is widened to [v - 0.5, v + 0.5].
/// </summary>
/// <remarks>
/// The default is 32 bins over each whole image's range (<see cref="IntensityRangeMode.Image"/>). 32 bins matches
/// the scikit-image comparison. The range mode changes rankings: with per-patch ranges, each of the 6,561
/// candidates of a search window is quantised with its own extremes, so two candidates showing the same tissue
/// can be binned differently because of one bright voxel at the edge; with the image range, all candidates share
/// one quantisation (as in intensity-based registration, where the joint histogram of the two images is binned
/// once) and the score reflects only the co-occurrence of intensities. Use <see cref="PerPatch"/> to reproduce
/// scikit-image's normalized_mutual_information called on two patches.
/// </remarks>
/// <param name="Bins">Number of bins per image (2 to 256).</param>
/// <param name="Mode">Which range the bins cover.</param>
/// <param name="Min">Lower end of the range in <see cref="IntensityRangeMode.Fixed"/> mode, else ignored.</param>
/// <param name="Max">Upper end of the range in <see cref="IntensityRangeMode.Fixed"/> mode, else ignored.</param>
public readonly record struct HistogramBinning(int Bins, IntensityRangeMode Mode, double Min = 0, double Max = 0)
{
    /// <summary>The default bin count (as in the scikit-image comparison).</summary>
    public const int DefaultBins = 32;

    /// <summary>32 bins over each whole image's range.</summary>
    public static HistogramBinning Default => new(DefaultBins, IntensityRangeMode.Image);

    /// <summary>Bins over each whole image's range.</summary>
    public static HistogramBinning Image(int bins = DefaultBins) => new(bins, IntensityRangeMode.Image);

    /// <summary>Bins over each patch's own min/max (scikit-image's behaviour on a pair of patches).</summary>
    public static HistogramBinning PerPatch(int bins = DefaultBins) => new(bins, IntensityRangeMode.PerPatch);

    /// <summary>Bins over an explicit range, the same for both images.</summary>
    public static HistogramBinning Fixed(double min, double max, int bins = DefaultBins) => new(bins, IntensityRangeMode.Fixed, min, max);

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> when the settings cannot be used.</summary>
    public void Validate()
    {
        if (Bins < 2 || Bins > 256)
        {
            throw new ArgumentOutOfRangeException(nameof(Bins), Bins, "The number of histogram bins must be between 2 and 256.");
        }

        if (Mode == IntensityRangeMode.Fixed && !(Max > Min && double.IsFinite(Min) && double.IsFinite(Max)))
        {
            throw new ArgumentOutOfRangeException(nameof(Max), $"A fixed intensity range needs finite Min < Max, got [{Min}, {Max}].");
        }

        if (!Enum.IsDefined(Mode))
        {
            throw new ArgumentOutOfRangeException(nameof(Mode), Mode, "Unknown intensity range mode.");
        }
    }

    /// <inheritdoc />
    public override string ToString() => Mode switch
    {
        IntensityRangeMode.Fixed => FormattableString.Invariant($"{Bins} bins over [{Min:G6}, {Max:G6}]"),
        IntensityRangeMode.PerPatch => $"{Bins} bins over each patch's range",
        _ => $"{Bins} bins over each image's range",
    };

    /// <summary>The quantiser for one image or patch whose own range is [min, max].</summary>
    internal Quantizer QuantizerFor(double ownMin, double ownMax) =>
        Mode == IntensityRangeMode.Fixed ? new Quantizer(Min, Max, Bins) : new Quantizer(ownMin, ownMax, Bins);

    /// <summary>The quantiser for a patch in a pair, by mode.</summary>
    internal Quantizer QuantizerFor(ReadOnlySpan<float> patch, IntensityRange imageRange)
    {
        switch (Mode)
        {
            case IntensityRangeMode.PerPatch:
                var (min, max) = Quantizer.RangeOf(patch);
                return new Quantizer(min, max, Bins);
            case IntensityRangeMode.Fixed:
                return new Quantizer(Min, Max, Bins);
            default:
                return new Quantizer(imageRange.Min, imageRange.Max, Bins);
        }
    }
}
