namespace DeepSim.Learning;

/// <summary>How a patch's raw intensities are turned into network inputs.</summary>
public enum InputNormalization
{
    /// <summary>
    /// Scale with the whole source image's intensity range: (v - min) / (max - min), so inputs lie in [0, 1].
    /// The paper's choice and the default.
    /// </summary>
    ImageRange = 0,

    /// <summary>
    /// Per-patch z-score: (v - mean) / sqrt(variance + 1e-6), mean and (population) variance over the patch's own voxels.
    /// Insensitive to global intensity scaling and offsets; an improvement option.
    /// </summary>
    PatchZScore = 1,
}

/// <summary>How a denoising autoencoder corrupts its input.</summary>
public enum CorruptionKind
{
    /// <summary>Masking noise: each input is set to 0 with probability <c>CorruptionLevel</c>.</summary>
    Masking = 0,

    /// <summary>Additive Gaussian noise with standard deviation <c>CorruptionLevel</c>.</summary>
    Gaussian = 1,
}

/// <summary>Gradient-descent method.</summary>
public enum OptimizerKind
{
    /// <summary>Adam (beta1 0.9, beta2 0.999, eps 1e-8).</summary>
    Adam = 0,

    /// <summary>Stochastic gradient descent with momentum.</summary>
    Sgd = 1,
}

/// <summary>Hidden-unit non-linearity of the similarity network.</summary>
public enum ActivationKind
{
    /// <summary>Logistic sigmoid (the paper's, and the SDAE's).</summary>
    Sigmoid = 0,

    /// <summary>Rectified linear unit.</summary>
    Relu = 1,
}
/// <summary>Which configuration Invoke-SimilarityTraining trains.</summary>
public enum TrainingPreset
{
    /// <summary>
    /// The recommended configuration: from image pairs the two-branch CNN with the search-window ranking loss (on
    /// unseen CT/MR patients level with the best fully connected network on the mean error, and far better on ITK's
    /// T1/PD slice, where the fully connected default failed); from patch pairs the fully connected network.
    /// </summary>
    Recommended,

    /// <summary>The paper's network (578-578-300-100-2, sigmoid), loss (two-way cross-entropy) and sampling (2,000 skull positives, random negatives).</summary>
    Paper,

    /// <summary>The two-branch CNN (FeatureSimilarityModel) with the search-window ranking loss, trained from image pairs.</summary>
    Cnn,

    /// <summary>
    /// The two-channel CNN on the stacked patches (<see cref="TwoChannelSimilarityModel"/>, Simonovsky et al., MICCAI
    /// 2016) with a ranking loss over sampled candidates of the search neighbourhood, trained from image pairs.
    /// </summary>
    TwoChannel,
}
