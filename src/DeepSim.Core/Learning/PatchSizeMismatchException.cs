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

    /// <summary>Creates the exception for a size or dimension mismatch (2: square patches, 3: cubic patches).</summary>
    public PatchSizeMismatchException(string modelName, int modelPatchSize, int requestedPatchSize, int modelDimension, int requestedDimension)
        : base(modelDimension == requestedDimension
            ? Describe(modelName, modelPatchSize, requestedPatchSize, modelDimension)
            : $"Model '{modelName}' was trained on {Shape(modelPatchSize, modelDimension)} patches and cannot score {Shape(requestedPatchSize, requestedDimension)} patches; {(modelDimension == 3 ? "score volumes with -Volumetric (3D patches and search)" : "a 2D model scores square patches only: leave out -Volumetric, or train a model on cubic patches (Get-PatchPair -Volumetric)")}.")
    {
        ModelName = modelName;
        ModelPatchSize = modelPatchSize;
        RequestedPatchSize = requestedPatchSize;
        ModelDimension = modelDimension;
        RequestedDimension = requestedDimension;
    }

    /// <summary>2 for a model of square patches, 3 for cubic ones.</summary>
    public int ModelDimension { get; } = 2;

    /// <summary>Dimension of the patches that were asked for.</summary>
    public int RequestedDimension { get; } = 2;

    /// <summary>Name of the model.</summary>
    public string ModelName { get; }

    /// <summary>Patch size the model needs.</summary>
    public int ModelPatchSize { get; }

    /// <summary>Patch size that was asked for.</summary>
    public int RequestedPatchSize { get; }

    private static string Shape(int size, int dimension) => dimension == 3 ? $"{size}x{size}x{size}" : $"{size}x{size}";

    private static string Describe(string modelName, int modelSize, int requestedSize, int dimension) =>
        $"Model '{modelName}' was trained on {Shape(modelSize, dimension)} patches and cannot score {Shape(requestedSize, dimension)} patches; use -PatchSize {modelSize} or train a model for {requestedSize}.";
}
