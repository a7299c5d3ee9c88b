namespace DeepSim.Imaging;

/// <summary>Two co-registered images of one subject or slice: the fixed (e.g. CT) and the moving (e.g. MR) one.</summary>
/// <param name="Name">What the pair is called (the shared file name).</param>
/// <param name="Fixed">The fixed image.</param>
/// <param name="Moving">The moving image, on the fixed image's grid.</param>
public sealed record ImagePair(string Name, MedicalImage Fixed, MedicalImage Moving)
{
    /// <summary>The group a pair belongs to (e.g. a patient): by default the first two characters of the name.</summary>
    public string Group { get; init; } = Name.Length >= 2 ? Name[..2] : Name;

    /// <summary>The translation DeepSim measured between the images when asked to align them (and, unless it lies on the search border, corrected in <see cref="Moving"/>); null when not aligned.</summary>
    public TranslationEstimate? Shift { get; init; }
}
