namespace DeepSim.Learning;

/// <summary>A learned model was asked to score patches of a size it was not trained on.</summary>
public sealed class PatchSizeMismatchException : ArgumentException
{
    /// <summary>Creates the exception.</summary>
    public PatchSizeMismatchException(string modelName, int modelPatchSize, int requestedPatchSize)
        : base($"Model '{modelName}' was trained on {modelPatchSize}x{modelPatchSize} patches and cannot score {requestedPatchSize}x{requestedPatchSize} patches; use -PatchSize {modelPatchSize} or train a model for {requestedPatchSize}.")
    {
        ModelName = modelName;
        ModelPatchSize = modelPatchSize;
        RequestedPatchSize = requestedPatchSize;
    }

    /// <summary>Name of the model.</summary>
    public string ModelName { get; }

    /// <summary>Patch size the model needs.</summary>
    public int ModelPatchSize { get; }

    /// <summary>Patch size that was asked for.</summary>
    public int RequestedPatchSize { get; }
}
