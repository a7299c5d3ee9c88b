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

    /// <summary>Import-ImageTransform: nothing matches the path.</summary>
    public const string TransformFileNotFound = "TransformFileNotFound";

    /// <summary>Import-ImageTransform: the file is not an ITK transform file DeepSim reads.</summary>
    public const string InvalidTransformFile = "InvalidTransformFile";

    /// <summary>Get-DicomTag: nothing matches the path.</summary>
    public const string DicomFileNotFound = "DicomFileNotFound";

    /// <summary>Get-DicomTag: a tag name or number that the dictionary does not know.</summary>
    public const string UnknownDicomTag = "UnknownDicomTag";

    /// <summary>DICOMweb cmdlets: both -Credential and -Token were given.</summary>
    public const string DicomWebCredentialConflict = "DicomWebCredentialConflict";

    /// <summary>DICOMweb cmdlets: a credential the client cannot use (e.g. a user name with a colon).</summary>
    public const string DicomWebCredentialInvalid = "DicomWebCredentialInvalid";

    /// <summary>DICOMweb cmdlets: -Uri is not an absolute http(s) address.</summary>
    public const string DicomWebUriInvalid = "DicomWebUriInvalid";

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

    /// <summary>Invoke-SimilarityTraining: a piped object has a Fixed or a Moving image but not both.</summary>
    public const string IncompleteImagePair = "IncompleteImagePair";

    /// <summary>Invoke-SimilarityTraining: image pairs and patch pairs were piped together.</summary>
    public const string MixedTrainingInput = "MixedTrainingInput";

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

    /// <summary>Import-SimilarityModel: not enough memory to read the file.</summary>
    public const string ModelFileTooLarge = "ModelFileTooLarge";

    /// <summary>Import-SimilarityModel: the path is a folder.</summary>
    public const string ModelFileNotAFile = "ModelFileNotAFile";

    /// <summary>Import-SimilarityModel: the file may not be read.</summary>
    public const string ModelFileAccessDenied = "ModelFileAccessDenied";

    /// <summary>Export-SimilarityModel: the file is read-only (-Force replaces it).</summary>
    public const string ModelFileReadOnly = "ModelFileReadOnly";

    /// <summary>Export-SimilarityModel: the path is a folder, device, pipe or socket.</summary>
    public const string ModelFileNotARegularFile = "ModelFileNotARegularFile";

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

    /// <summary>Export-TrainingHistoryPlot: the figure's file is read-only (-Force replaces it).</summary>
    public const string PlotFileReadOnly = "PlotFileReadOnly";

    /// <summary>Export-TrainingHistoryPlot: the path is a folder, device, pipe or socket.</summary>
    public const string PlotFileNotARegularFile = "PlotFileNotARegularFile";

    /// <summary>Export-SimilarityMap: the PNG is read-only (-Force replaces it).</summary>
    public const string SimilarityMapFileReadOnly = "SimilarityMapFileReadOnly";

    /// <summary>Export-SimilarityMap: the path is a folder, device, pipe or socket.</summary>
    public const string SimilarityMapFileNotARegularFile = "SimilarityMapFileNotARegularFile";

    // Images, transforms and registration.

    /// <summary>Export-MedicalImage: the -Path script block returned no path for an image.</summary>
    public const string ImageExportPathEmpty = "ImageExportPathEmpty";

    /// <summary>Export-MedicalImage: the path names no format DeepSim writes.</summary>
    public const string UnsupportedImageExtension = "UnsupportedImageExtension";

    /// <summary>Export-MedicalImage: the file exists and -Force was not given.</summary>
    public const string ImageFileExists = "ImageFileExists";

    /// <summary>Export-MedicalImage: the path is a folder.</summary>
    public const string ImageExportPathIsFolder = "ImageExportPathIsFolder";

    /// <summary>Export-MedicalImage: the target folder does not exist.</summary>
    public const string ImageExportFolderNotFound = "ImageExportFolderNotFound";

    /// <summary>Export-MedicalImage: the image cannot be stored in the format (e.g. too large for NIfTI-1).</summary>
    public const string ImageNotWritable = "ImageNotWritable";

    /// <summary>Export-MedicalImage: the file cannot be written (I/O).</summary>
    public const string ImageExportWriteFailed = "ImageExportWriteFailed";

    /// <summary>Export-MedicalImage: the file is read-only (-Force replaces it).</summary>
    public const string ImageFileReadOnly = "ImageFileReadOnly";

    /// <summary>Export-MedicalImage: the path is a folder, device, pipe or socket.</summary>
    public const string ImageFileNotARegularFile = "ImageFileNotARegularFile";

    /// <summary>Invoke-ImageResample: the image and the reference grid differ in dimension.</summary>
    public const string ImageDimensionMismatch = "ImageDimensionMismatch";

    /// <summary>Invoke-ImageResample: an image's direction matrix cannot be inverted.</summary>
    public const string ImageGeometrySingular = "ImageGeometrySingular";

    /// <summary>Invoke-ImageResample: the transform cannot map a point.</summary>
    public const string TransformPointFailed = "TransformPointFailed";

    /// <summary>Export-ImageTransform: the input is neither a transform nor a RegistrationResult.</summary>
    public const string NotATransform = "NotATransform";

    /// <summary>Export-ImageTransform: the file exists and -Force was not given.</summary>
    public const string TransformFileExists = "TransformFileExists";

    /// <summary>Export-ImageTransform: the target folder does not exist.</summary>
    public const string TransformFolderNotFound = "TransformFolderNotFound";

    /// <summary>Export-ImageTransform: the transform has no ITK text form.</summary>
    public const string TransformNotWritable = "TransformNotWritable";

    /// <summary>Export-ImageTransform: the file cannot be written (I/O).</summary>
    public const string TransformFileWriteFailed = "TransformFileWriteFailed";

    /// <summary>Register-Image, Test-ImageAlignment: -Metric names no registration metric.</summary>
    public const string UnknownRegistrationMetric = "UnknownRegistrationMetric";

    /// <summary>Register-Image, Test-ImageAlignment: settings the registration engine refuses.</summary>
    public const string InvalidRegistrationSettings = "InvalidRegistrationSettings";

    /// <summary>Register-Image: the B-spline transform folds (its Jacobian determinant is not positive somewhere).</summary>
    public const string TransformFolds = "TransformFolds";

    // The session.

    /// <summary>$DeepSimThreadLimit is not a whole number of threads of at least 1.</summary>
    public const string InvalidThreadLimit = "InvalidThreadLimit";
}
