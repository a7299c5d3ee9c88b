namespace DeepSim.PowerShell.Infrastructure;

/// <summary>
/// The catalogue of the ErrorIds DeepSim's cmdlets report (the first part of an ErrorRecord's FullyQualifiedErrorId,
/// what <c>Should -Throw -ErrorId</c> and <c>$err.FullyQualifiedErrorId -like</c> match). One constant per id, with
/// when it is raised: an id is part of the module's contract, so it is spelt once, here, and checked by the compiler.
/// Messages stay where the error is raised, because each names the offending object and its numbers.
/// </summary>
/// <remarks>
/// Ids produced by the core's own error kinds follow a pattern instead of a constant: "Image" + ImageReadError
/// (e.g. ImageFileNotFound, ImageTruncated), "ModelFile" + ModelFileError, and PatchSamplingError's names
/// (<see cref="ImageGeometryMismatch"/>, <see cref="InvalidPatchSize"/>, <see cref="EmptyRegion"/>, <see cref="MaskMismatch"/>).
/// </remarks>
public static class ErrorIds
{
    // Metrics and patch sizes.

    /// <summary>-Metric names no built-in measure.</summary>
    public const string UnknownMetric = "UnknownMetric";

    /// <summary>-Metric is neither a SimilarityModel, a metric object nor a name.</summary>
    public const string InvalidMetricType = "InvalidMetricType";

    /// <summary>Scoring pairs was asked of more than one metric.</summary>
    public const string OneMetricForPairs = "OneMetricForPairs";

    /// <summary>Models need different patch sizes, or a model's differs from -PatchSize or from a pair's.</summary>
    public const string PatchSizeMismatch = "PatchSizeMismatch";

    /// <summary>A patch size is even, not positive, or larger than the image.</summary>
    public const string InvalidPatchSize = "InvalidPatchSize";

    // Images, regions and the prediction-error protocol.

    /// <summary>The fixed and moving images differ in size or geometry.</summary>
    public const string ImageGeometryMismatch = "ImageGeometryMismatch";

    /// <summary>-Mask is not on the image's grid.</summary>
    public const string MaskMismatch = "MaskMismatch";

    /// <summary>Cubic (3D, -Volumetric) patches or search asked of a 2D image, a volume too thin for the cube, or a 2D model in a 3D search (and vice versa).</summary>
    public const string DimensionMismatch = "DimensionMismatch";

    /// <summary>The region holds no voxel far enough from the border.</summary>
    public const string EmptyRegion = "EmptyRegion";

    /// <summary>The region holds fewer eligible centers than -Count asks of an image pair.</summary>
    public const string TooFewCenters = "TooFewCenters";

    /// <summary>The prediction-error protocol refused the settings for an image pair (e.g. -Tolerance not below -SearchRadius).</summary>
    public const string PredictionErrorSetup = "PredictionErrorSetup";

    /// <summary>-Center leaves no room for the search window inside the image.</summary>
    public const string CenterOutOfRange = "CenterOutOfRange";

    /// <summary>-TrueOffset lies outside the search window.</summary>
    public const string TrueOffsetOutOfRange = "TrueOffsetOutOfRange";

    /// <summary>Import-MedicalImage: a path that cannot name a file.</summary>
    public const string ImagePathInvalid = "ImagePathInvalid";

    /// <summary>Import-MedicalImage: nothing matches the path.</summary>
    public const string ImageFileNotFound = "ImageFileNotFound";

    /// <summary>Import-ImagePair: the fixed path matches nothing.</summary>
    public const string ImagePairFixedNotFound = "ImagePairFixedNotFound";

    /// <summary>Import-ImagePair: the moving folder does not exist.</summary>
    public const string ImagePairMovingFolderNotFound = "ImagePairMovingFolderNotFound";

    /// <summary>Import-ImagePair: a fixed file has no moving file of the same name.</summary>
    public const string ImagePairPartnerNotFound = "ImagePairPartnerNotFound";

    /// <summary>Import-ImagePair -Align: the translation search failed for a pair.</summary>
    public const string ImagePairAlignFailed = "ImagePairAlignFailed";

    /// <summary>Get-DicomTag: nothing matches the path.</summary>
    public const string DicomFileNotFound = "DicomFileNotFound";

    /// <summary>Get-DicomTag: a tag name or number that the dictionary does not know.</summary>
    public const string UnknownDicomTag = "UnknownDicomTag";

    // Training and models.

    /// <summary>No patch pairs reached a training cmdlet.</summary>
    public const string NoTrainingPairs = "NoTrainingPairs";

    /// <summary>Invoke-SdaePretrain: training data or options the trainer refuses.</summary>
    public const string InvalidTrainingData = "InvalidTrainingData";

    /// <summary>Invoke-SimilarityTraining: training data, options or a pre-trained SDAE the trainer refuses.</summary>
    public const string InvalidTrainingSetup = "InvalidTrainingSetup";

    /// <summary>Invoke-SdaePretrain: options the trainer refuses.</summary>
    public const string InvalidSdaeOptions = "InvalidSdaeOptions";

    /// <summary>An input that should be a SimilarityModel or SdaeModel is not.</summary>
    public const string NotAModel = "NotAModel";

    /// <summary>Export-TrainingHistoryPlot: no models were piped.</summary>
    public const string NoModels = "NoModels";

    /// <summary>Export-TrainingHistoryPlot: similarity models and SDAE models were piped together.</summary>
    public const string MixedModels = "MixedModels";

    /// <summary>Export-TrainingHistoryPlot: a history the plot cannot draw.</summary>
    public const string InvalidHistory = "InvalidHistory";

    /// <summary>Prefix of the ids of unreadable model files: ModelFile + ModelFileError (e.g. ModelFileTruncated).</summary>
    public const string ModelFilePrefix = "ModelFile";

    /// <summary>Import-SimilarityModel: nothing matches the path.</summary>
    public const string ModelFileNotFound = "ModelFileNotFound";

    /// <summary>Export-SimilarityModel -NoClobber: the file exists.</summary>
    public const string ModelFileExists = "ModelFileExists";

    /// <summary>Export-SimilarityModel: the target folder does not exist.</summary>
    public const string ModelFolderNotFound = "ModelFolderNotFound";

    /// <summary>A model file cannot be read (I/O).</summary>
    public const string ModelFileReadFailed = "ModelFileReadFailed";

    /// <summary>A model file cannot be written (I/O).</summary>
    public const string ModelFileWriteFailed = "ModelFileWriteFailed";

    /// <summary>The native libtorch runtime cannot be loaded, so nothing that trains or scores a model can run.</summary>
    public const string TorchRuntimeUnavailable = "TorchRuntimeUnavailable";

    // Reports and figures.

    /// <summary>Export-PredictionErrorReport: no results were piped.</summary>
    public const string NoPredictionErrorResults = "NoPredictionErrorResults";

    /// <summary>Export-PredictionErrorReport: a report file cannot be written.</summary>
    public const string ReportWriteFailed = "ReportWriteFailed";

    /// <summary>Export-TrainingHistoryPlot: the figure cannot be written.</summary>
    public const string PlotWriteFailed = "PlotWriteFailed";

    /// <summary>Export-SimilarityMap: no maps were piped.</summary>
    public const string NoSimilarityMaps = "NoSimilarityMaps";

    /// <summary>Export-SimilarityMap -NoClobber: the file exists.</summary>
    public const string SimilarityMapFileExists = "SimilarityMapFileExists";

    /// <summary>Export-SimilarityMap: the target folder does not exist.</summary>
    public const string SimilarityMapFolderNotFound = "SimilarityMapFolderNotFound";

    /// <summary>Export-SimilarityMap: the PNG cannot be written.</summary>
    public const string SimilarityMapWriteFailed = "SimilarityMapWriteFailed";
}
