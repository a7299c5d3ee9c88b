namespace DeepSim.Learning;

/// <summary>
/// Settings of the two-branch convolutional similarity (<see cref="FeatureSimilarityTrainer"/>): one small CNN per
/// modality maps each image to dense, unit-length feature vectors; the score of a pair of positions is the cosine
/// of their vectors. It is trained on aligned image pairs with a softmax over the candidates of a search
/// neighbourhood (InfoNCE): for every query the true position must out-score every other position of its crop
/// (near misses) and of the other crops of the batch (far negatives).
/// </summary>
public sealed record FeatureTrainingOptions
{
    /// <summary>Patch side = receptive field of a feature vector (odd, >= 3). Default 17 (the paper's patch).</summary>
    public int PatchSize { get; init; } = 17;

    /// <summary>
    /// 2 (default): square patches, 2D convolutions, slices of the training images. 3: cubic patches of volumes, 3D
    /// convolutions (3x3x3), cubic training crops, local standardisation and LCC anchor in 3D box windows, and a softmax
    /// over the crop's whole cube of candidates (see <see cref="Volumetric"/> for the measured 3D defaults). In 3D the
    /// geometric augmentation is flips and 90-degree turns (exact voxel permutations); <see cref="MaxRotationDegrees"/> must be 0.
    /// </summary>
    public int Dimensions { get; init; } = 2;

    /// <summary>
    /// The 3D configuration measured on the MNI templates (bench/learning3d/RESULTS.md): 7x7x7 patches (the 3D
    /// protocol's), local standardisation in 3x3x3 windows (so the 3x3x3 convolutions see 5x5x5), LCC anchor in 5x5x5
    /// windows (the LCC metric's default), 23^3 crops (17^3 = 4,913 candidates per query, exactly the protocol's search
    /// cube of radius 8), 4 crops of 16 queries per step, no small rotations, 10 epochs of 20 steps.
    /// </summary>
    public static FeatureTrainingOptions Volumetric { get; } = new()
    {
        Dimensions = 3,
        PatchSize = 7,
        NormalizationRadius = 1,
        CropSize = 23,
        CropsPerBatch = 4,
        QueriesPerCrop = 16,
        MaxRotationDegrees = 0,
        Epochs = 10,
    };

    /// <summary>
    /// The recommended 2D configuration, what <c>Invoke-SimilarityTraining</c> trains from image pairs when no option
    /// is given: these defaults plus the context view x4 (<see cref="ContextScale"/> = 4). On the seven
    /// leave-one-group-out CT/MR folds (bench/learning/results/logo-ctx4-7, 2,100 patches of unseen patients) its pooled
    /// mean error was 561 [523, 601] against LCC's 712 [663, 769] and 629 [586, 675] without the context view.
    /// </summary>
    public static FeatureTrainingOptions Recommended { get; } = new() { ContextScale = 4 };

    /// <summary>
    /// The two-channel CNN's defaults (<see cref="TwoChannelSimilarityTrainer"/>, <c>-Preset TwoChannel</c>): the
    /// two-branch CNN's data path, crops and schedule (600 steps of 8 crops), no LCC anchor and no context view (the
    /// network's output is the whole score), 8 queries per crop, each ranked against <see cref="CandidatesPerQuery"/>
    /// = 128 candidates (every candidate is a forward pass of its own), 8 channels in the first convolution (16 in the
    /// others: 16 and 32 made a training step about 6 times slower on this 2-core machine), 64 hidden units.
    /// </summary>
    public static FeatureTrainingOptions TwoChannel { get; } = new()
    {
        Anchor = FeatureScoreAnchor.None,
        Channels = 8,
        QueriesPerCrop = 8,
    };

    /// <summary>Values of one patch: PatchSize^Dimensions.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int PatchLength => Dimensions == 3 ? PatchSize * PatchSize * PatchSize : PatchSize * PatchSize;

    /// <summary>
    /// How intensities become network input. Default <see cref="FeatureInputNormalization.Local"/> (the network then
    /// sees a patch minus 2 x <see cref="NormalizationRadius"/>, standardised in small windows).
    /// </summary>
    public FeatureInputNormalization Normalization { get; init; } = FeatureInputNormalization.Local;

    /// <summary>Half side r of the (2r+1)^2 standardisation window of <see cref="FeatureInputNormalization.Local"/>. Default 2 (5x5, LCC's window).</summary>
    public int NormalizationRadius { get; init; } = 2;

    /// <summary>Added to the local standard deviation (intensities scaled to [0, 1]), so flat regions are not blown up into noise. Default 0.05.</summary>
    public double NormalizationEpsilon { get; init; } = 0.05;

    /// <summary>The convolutions' receptive field: the patch, less the standardisation window's margins when local.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int NetworkField => PatchSize - (Normalization == FeatureInputNormalization.Local ? 2 * NormalizationRadius : 0);

    /// <summary>
    /// What the score adds to the cosine of the feature vectors. <see cref="FeatureScoreAnchor.Lcc"/>: a trained weight
    /// times the patches' LCC (the weight and the softmax temperature are trained with the networks; the softmax then
    /// runs over the candidates of the query's own crop only, whose LCC is computed exactly). Default
    /// <see cref="FeatureScoreAnchor.Lcc"/> (README, bench/learning/results/logo-anchor-600: the leave-one-group-out
    /// CT/MR comparison with LCC and the cosine alone). <see cref="FeatureScoreAnchor.None"/>: the cosine alone.
    /// </summary>
    public FeatureScoreAnchor Anchor { get; init; } = FeatureScoreAnchor.Lcc;

    /// <summary>Half side of the LCC anchor's box windows (2: 5x5, as the LCC metric's default). Default 2.</summary>
    public int AnchorWindowRadius { get; init; } = 2;

    /// <summary>The LCC anchor's weight at the start of training, relative to the cosine. Default 1.</summary>
    public double AnchorInitialWeight { get; init; } = 1;

    /// <summary>
    /// The context view: 0 (default here; 4 in <see cref="Recommended"/>, the cmdlet's 2D default) for none; F (2 to 8) adds a second stream per branch that sees an F times larger
    /// neighbourhood (<see cref="ContextExtent"/>, about F x <see cref="PatchSize"/>) downsampled by F: the image is
    /// averaged in (2 floor(F/2) + 1)^2 boxes, standardised in F times larger windows (local input), and its
    /// convolutions are the patch network's with every dilation multiplied by F, so the view is still computed densely
    /// on the image grid. The score adds a trained weight times the cosine of the two context vectors. Where the
    /// view reaches past the image (or, in <see cref="FeatureSimilarityModel.ScorePairs"/>, past the patch) the edge is
    /// replicated.
    /// </summary>
    public int ContextScale { get; init; }

    /// <summary>Channels of the context streams' hidden convolutions (their output has <see cref="FeatureDimension"/> values). Default 8: the context stream runs on about (F x 2.3)^2 times the patch stream's positions in training.</summary>
    public int ContextChannels { get; init; } = 8;

    /// <summary>Half side of the context view's anti-aliasing box (floor(<see cref="ContextScale"/> / 2)); 0 without a context view.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int ContextBoxRadius => ContextScale / 2;

    /// <summary>
    /// Side of the neighbourhood one context vector describes: the box, the F-times-wider standardisation window and
    /// the F-times-dilated convolutions (odd; about F x <see cref="PatchSize"/>); <see cref="PatchSize"/> without a context view.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int ContextExtent => ContextScale == 0
        ? PatchSize
        : 1 + (2 * ContextBoxRadius) + (Normalization == FeatureInputNormalization.Local ? 2 * NormalizationRadius * ContextScale : 0) + (ContextScale * (NetworkField - 1));

    /// <summary>How far the context view reaches beyond the patch on each side ((<see cref="ContextExtent"/> - <see cref="PatchSize"/>) / 2).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int ContextMargin => (ContextExtent - PatchSize) / 2;

    /// <summary>Channels of the hidden convolutions (3x3, dilations 1, 2, 4, ...). Default 16. The two-channel CNN: its first convolution's channels (the other two have twice as many).</summary>
    public int Channels { get; init; } = 16;

    /// <summary>Length of a feature vector (the final 1x1 convolution). Default 16.</summary>
    public int FeatureDimension { get; init; } = 16;

    /// <summary>
    /// Epochs (each <see cref="StepsPerEpoch"/> batches of freshly sampled, augmented crops). Default 30, i.e. 600 steps:
    /// on the 7 leave-one-group-out CT/MR folds 600 steps gave a pooled mean error of 835 against 1014 after 200 steps
    /// (README, bench/learning/results/logo-local-600), in about 2.7 minutes on an idle 2-core machine.
    /// </summary>
    public int Epochs { get; init; } = 30;

    /// <summary>Optimiser steps per epoch. Default 20.</summary>
    public int StepsPerEpoch { get; init; } = 20;

    /// <summary>Crops per batch (each from a randomly drawn training pair). Default 8.</summary>
    public int CropsPerBatch { get; init; } = 8;

    /// <summary>Side of a training crop in voxels; its positions (crop - patch + 1)^2 are the near candidates. Default 48.</summary>
    public int CropSize { get; init; } = 48;

    /// <summary>Query positions per crop (drawn where the fixed patch has structure; nearly free: the crop is embedded once). Default 64.</summary>
    public int QueriesPerCrop { get; init; } = 64;

    /// <summary>
    /// Two-channel CNN only: candidates each query is ranked against (its true position included). As the stacked
    /// patches need a forward pass per candidate, they are sampled: about half near misses within 4 voxels of the true
    /// position, one eighth from the batch's other crops, the rest anywhere in the query's own crop. Default 128.
    /// </summary>
    public int CandidatesPerQuery { get; init; } = 128;

    /// <summary>Two-channel CNN only: units of the hidden fully connected layer. Default 64.</summary>
    public int HiddenUnits { get; init; } = 64;

    /// <summary>
    /// Positions within this Chebyshev distance of the true one count as correct (their probabilities are summed), as
    /// the protocol's tolerance does; 0 asks for the exact voxel. Default 1.
    /// </summary>
    public int PositiveRadius { get; init; } = 1;

    /// <summary>Softmax temperature applied to the cosine scores during training. Default 0.1.</summary>
    public double Temperature { get; init; } = 0.1;

    /// <summary>Adam learning rate (cosine decay to a tenth). Default 0.005.</summary>
    public double LearningRate { get; init; } = 5e-3;

    /// <summary>L2 weight decay (Adam's). Default 0.</summary>
    public double WeightDecay { get; init; }

    /// <summary>Random flips, 90-degree and small rotations of each crop (the same for both images). Default true.</summary>
    public bool GeometricAugmentation { get; init; } = true;

    /// <summary>Largest small rotation, degrees (on top of the 90-degree turns). Default 10.</summary>
    public double MaxRotationDegrees { get; init; } = 10;

    /// <summary>Per-modality random gamma and contrast, and (with probability <see cref="MovingInversionProbability"/>) inversion of the moving image. Default true.</summary>
    public bool IntensityAugmentation { get; init; } = true;

    /// <summary>Probability of inverting the moving crop's intensities (MR contrasts differ between scans). Default 0.2.</summary>
    public double MovingInversionProbability { get; init; } = 0.2;

    /// <summary>
    /// Steps of unsupervised pre-training before the supervised training: 0 (default) for none; N pre-trains the two
    /// branches' patch streams for N steps as denoising convolutional autoencoders (<see cref="ConvAutoencoderPretrainer"/>:
    /// crops sampled and augmented as in training, <see cref="PretrainMaskFraction"/> of the standardised input set to 0,
    /// each feature vector decoded linearly back to the clean input patch it sees, mean squared error), and the
    /// supervised training starts from those weights. It uses no labels and no alignment. Measured on two held-out
    /// CT/MR groups (bench/learning/README.md).
    /// </summary>
    public int PretrainSteps { get; init; }

    /// <summary>Fraction of the input values the pre-training's masking noise sets to 0 (the local mean of standardised input). Default 0.25.</summary>
    public double PretrainMaskFraction { get; init; } = 0.25;

    /// <summary>Seed of every random choice (weights, crops, augmentation, queries). Default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>A progress report is sent every this many steps (and at every epoch end). Default 10.</summary>
    public int ProgressEverySteps { get; init; } = 10;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        Check(PatchSize >= 3 && PatchSize % 2 == 1, nameof(PatchSize), "must be odd and >= 3");
        Check(Dimensions is 2 or 3, nameof(Dimensions), "must be 2 or 3");
        Check(Dimensions == 2 || MaxRotationDegrees == 0 || !GeometricAugmentation, nameof(MaxRotationDegrees), "must be 0 in 3D (the 3D augmentation is flips and 90-degree turns)");
        Check(Enum.IsDefined(Normalization), nameof(Normalization), "must be ImageRange or Local");
        Check(NormalizationRadius >= 1 && NetworkField >= 3, nameof(NormalizationRadius), $"must be >= 1 and leave a network field of at least 3 inside the {PatchSize}x{PatchSize} patch");
        Check(NormalizationEpsilon > 0, nameof(NormalizationEpsilon), "must be > 0");
        Check(ContextScale == 0 || (ContextScale >= 2 && ContextScale <= 8), nameof(ContextScale), "must be 0 (no context view) or from 2 to 8");
        Check(ContextScale == 0 || Dimensions == 2, nameof(ContextScale), "must be 0 for a 3D model (the context view is 2D only)");
        Check(ContextChannels >= 1, nameof(ContextChannels), "must be >= 1");
        Check(Channels >= 1, nameof(Channels), "must be >= 1");
        Check(FeatureDimension >= 1, nameof(FeatureDimension), "must be >= 1");
        Check(Epochs >= 1, nameof(Epochs), "must be >= 1");
        Check(StepsPerEpoch >= 1, nameof(StepsPerEpoch), "must be >= 1");
        Check(CropsPerBatch >= 1, nameof(CropsPerBatch), "must be >= 1");
        Check(CropSize >= PatchSize + 2, nameof(CropSize), $"must exceed the patch size ({PatchSize}) by at least 2");
        Check(PositiveRadius >= 0 && PositiveRadius < (CropSize - PatchSize + 1) / 2, nameof(PositiveRadius), "must be >= 0 and well inside the crop");
        Check(QueriesPerCrop >= 1, nameof(QueriesPerCrop), "must be >= 1");
        Check(CandidatesPerQuery >= 2, nameof(CandidatesPerQuery), "must be >= 2 (the true position and at least one other)");
        Check(HiddenUnits >= 1, nameof(HiddenUnits), "must be >= 1");
        Check(Enum.IsDefined(Anchor), nameof(Anchor), "must be None or Lcc");
        Check(AnchorWindowRadius >= 1 && (2 * AnchorWindowRadius) + 1 <= PatchSize, nameof(AnchorWindowRadius), $"must be >= 1 and give windows no larger than the {PatchSize}x{PatchSize} patch");
        Check(AnchorInitialWeight > 0 && double.IsFinite(AnchorInitialWeight), nameof(AnchorInitialWeight), "must be a finite number > 0");
        Check(Temperature > 0, nameof(Temperature), "must be > 0");
        Check(LearningRate > 0, nameof(LearningRate), "must be > 0");
        Check(WeightDecay >= 0, nameof(WeightDecay), "must be >= 0");
        Check(MaxRotationDegrees >= 0 && MaxRotationDegrees <= 45, nameof(MaxRotationDegrees), "must be in [0, 45]");
        Check(MovingInversionProbability >= 0 && MovingInversionProbability <= 1, nameof(MovingInversionProbability), "must be in [0, 1]");
        Check(PretrainSteps >= 0, nameof(PretrainSteps), "must be >= 0 (0: no pre-training)");
        Check(PretrainMaskFraction >= 0 && PretrainMaskFraction < 1, nameof(PretrainMaskFraction), "must be in [0, 1)");
        Check(ProgressEverySteps >= 1, nameof(ProgressEverySteps), "must be >= 1");
    }

    private static void Check(bool ok, string name, string rule)
    {
        if (!ok)
        {
            throw new ArgumentException($"FeatureTrainingOptions.{name} {rule}.", name);
        }
    }
}
