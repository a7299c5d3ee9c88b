namespace DeepSim.Registration;

/// <summary>Which voxels the translation search measures mutual information over.</summary>
public enum MutualInformationRegion
{
    /// <summary>
    /// Only where the shifted moving image overlaps the fixed image (the default). The voxel count and the marginals
    /// change with the shift.
    /// </summary>
    Overlap = 0,

    /// <summary>
    /// Every fixed voxel; where the shifted moving image does not reach, the moving value is taken as the moving image's
    /// minimum (its lowest bin), exactly as if the moving image had been shifted with <see cref="ImageAlignment.Shift"/>
    /// (default fill) and compared over the whole grid. The voxel count and the fixed marginal stay constant. On the
    /// CT/MR head pairs this reproduces the data set's mi-peak-shift.tsv more often (130 of 147 exactly) than
    /// <see cref="Overlap"/> (112 of 147).
    /// </summary>
    FixedImage = 1,
}
