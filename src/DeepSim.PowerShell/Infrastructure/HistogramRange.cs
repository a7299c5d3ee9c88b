namespace DeepSim.PowerShell.Infrastructure;

/// <summary>The histogram-range choices a cmdlet offers for NMI, MI and the correlation ratio.</summary>
public enum HistogramRange
{
    /// <summary>Bins over each whole image's range (default).</summary>
    Image,

    /// <summary>Bins over each patch's own range (as scikit-image on a pair of patches).</summary>
    PerPatch,
}
