using System.Management.Automation;
using DeepSim.Imaging;
using DeepSim.Learning;
using DeepSim.Patches;
using DeepSim.PowerShell.Infrastructure;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Trains a learned similarity: from image pairs, a two-branch CNN with a search-window ranking loss (the default, also -Preset Cnn); from patch pairs or with -Preset Paper, the paper's fully connected network.</para>
/// <para type="description">Invoke-SimilarityTraining trains the metric that -Metric parameters accept. Pipe aligned image pairs (Import-ImagePair, or any objects with Fixed and Moving images) and it trains DeepSim's recommended learned metric (also -Preset Cnn; on seven unseen CT/MR patient groups its pooled mean error was 561 [523, 601] against LCC's 712 [663, 769], the best classical measure there, with a lower median, 119 against 186, and a higher hit rate, 4.9 against 4.1 %; see the README), a FeatureSimilarityModel: one small fully convolutional network per modality turns each image into a unit-length feature vector per voxel, and the score of two patches is the cosine of their vectors plus a trained weight times their local cross correlation (-Anchor Lcc, the default; -Anchor None keeps the cosine alone) plus a trained weight times the cosine of a context view, a second stream per modality that sees a 69x69 neighbourhood at a quarter of the resolution (-ContextScale 4, the default; -ContextScale 0 turns it off). It samples crops on the fly from every training image, epoch after epoch, with seeded augmentation (flips, 90-degree and small rotations shared by both images, per-modality gamma and contrast, and sometimes an inverted MR), and minimises a softmax over the candidates of the search neighbourhood (InfoNCE): each query's true position against every other position of its crop (near misses; without the anchor also every position of the other crops), which is what the prediction-error protocol asks. With the anchor, LCC is inside that softmax, so the networks learn what LCC misses: LCC gives a sharp peak, the learned term says which peak is right. Scoring a search window is then one dot product per candidate (plus LCC's own search with the anchor). With -Volumetric it trains the same architecture in 3D on volume pairs: cubic patches (7^3 by default), 3x3x3 convolutions, cubic training crops with the cube's 90-degree turns and mirrors, a 3D LCC anchor, and a softmax over a query's whole cube of candidates; Measure-PredictionError -Volumetric scores it. Pipe PatchPair objects (Get-PatchPair), or give -Preset Paper, and it trains the paper's network instead: 578-578-300-100-2 with sigmoid units classifying a pair as corresponding or not (two-way softmax, cross-entropy), whose score is logit(match) - logit(non-match); with -Preset Paper and image pairs it first samples the paper's 2,000 positives around the skull with one random negative each. With -Pretrained (or a piped SdaeModel) the bottom layers of the fully connected network start from the SDAE's encoders. A seeded, label-stratified -ValidationFraction is held out and training stops early when the validation loss has not improved for -EarlyStoppingPatience epochs (fully connected network only). With -Preset TwoChannel and image pairs it trains the two-channel CNN of Simonovsky et al. (MICCAI 2016), a TwoChannelSimilarityModel: the fixed and the moving patch (locally standardised) are stacked as the two channels of one input, three 3x3 convolutions with a max-pooling and two fully connected layers give the score; it uses the same crops, augmentation and schedule as the two-branch CNN, and ranks each query's true position against -CandidatesPerQuery sampled candidates of its neighbourhood (half near misses within 4 voxels, some from other crops), since every candidate needs a forward pass of its own. It has no per-image feature maps: searches run one batched forward pass per candidate, and Register-Image refuses it. Progress shows epoch, loss and accuracy; Ctrl+C stops between batches and returns nothing.</para>
/// </summary>
/// <example>
/// <code>$pairs = Import-ImagePair -FixedPath ./CT -MovingPath ./MR -Align
/// $model = $pairs | Invoke-SimilarityTraining -Seed 1
/// $cosine = $pairs | Invoke-SimilarityTraining -Preset Cnn -Anchor None -Seed 1 -Name 'cosine only'
/// Measure-PredictionError -Metric $model, $cosine, LCC -Fixed $ct -Moving $mr -Seed 1</code>
/// <para>The recommended metric (the two-branch CNN whose score is the features' cosine plus trained weights times LCC and times the context view's cosine) and the same networks without the LCC term, trained on every aligned slice pair of the two folders, compared with LCC on a new pair.</para>
/// </example>
/// <example>
/// <code>$pairs = Import-ImagePair -FixedPath ./CT -MovingPath ./MR -Align
/// $withContext = $pairs | Invoke-SimilarityTraining -Seed 1
/// $withoutContext = $pairs | Invoke-SimilarityTraining -ContextScale 0 -Seed 1 -Name 'no context'
/// $withContext, $withoutContext | Format-Table</code>
/// <para>The recommended metric (with the context view x4, a second stream per modality that sees a 69x69 neighbourhood at a quarter of the resolution) and the same without the context view (the previous default, faster to train); the table shows the trained weights of the LCC term and of the context cosine.</para>
/// </example>
/// <example>
/// <code>$pretrained = Import-ImagePair -FixedPath ./CT -MovingPath ./MR -Align | Invoke-SimilarityTraining -PretrainSteps 200 -Seed 1 -Name 'pre-trained'
/// $pretrained.Options.PretrainSteps</code>
/// <para>The recommended metric whose two convolutional branches are first pre-trained without labels for 200 steps as denoising autoencoders (each reconstructs its clean input patch from a masked one); the supervised training then starts from those weights. An option, not the default: it was screened on two held-out CT/MR groups only (bench/learning/README.md).</para>
/// </example>
/// <example>
/// <code>$ct = Import-MedicalImage ./mni-templates-3d/scct.nii
/// $t1 = Import-MedicalImage ./mni-templates-3d/avg152T1.nii
/// $model = [pscustomobject]@{ Fixed = $ct; Moving = $t1 } | Invoke-SimilarityTraining -Volumetric -Seed 1
/// Measure-PredictionError -Metric $model, NMI, LCC -Fixed $ct -Moving $t1 -Volumetric -PatchSize 7 -Seed 1</code>
/// <para>A 3D two-branch CNN (cubic 7x7x7 patches, 3x3x3 convolutions, 3D LCC anchor) trained on a CT/MR volume pair and compared with NMI and LCC in the 3D search (17^3 candidates per query). In practice train and test on different volumes or hemispheres, as bench/learning3d does.</para>
/// </example>
/// <example>
/// <code>$pairs = Import-ImagePair -FixedPath ./CT -MovingPath ./MR -Align
/// $twoChannel = $pairs | Invoke-SimilarityTraining -Preset TwoChannel -Seed 1 -Name 'two-channel'
/// Measure-PredictionError -Metric $twoChannel, LCC -Fixed $ct -Moving $mr -Seed 1</code>
/// <para>The two-channel CNN on the stacked patches (Simonovsky et al., 2016), trained with the same crops and augmentation as the default and ranked against 128 sampled candidates per query, compared with LCC on a new pair. Each candidate of a search is a forward pass of its own, so its search is far slower than the two-branch CNN's.</para>
/// </example>
/// <example>
/// <code>$pairs = Get-PatchPair -Fixed $ct -Moving $mr -Count 2000 -Seed 1
/// $sdae = $pairs | Invoke-SdaePretrain -Seed 1
/// $model = $pairs | Invoke-SimilarityTraining -Pretrained $sdae -Epochs 30 -Seed 1
/// $model.History | Format-Table</code>
/// <para>The paper's method: SDAE pre-training, then supervised fine-tuning; the history shows loss and accuracy per epoch on training and validation pairs.</para>
/// </example>
/// <example>
/// <code>$paper = Import-ImagePair -FixedPath ./CT -MovingPath ./MR -Align | Invoke-SimilarityTraining -Preset Paper -Seed 1 -Name 'paper'
/// $shallow = $pairs | Invoke-SimilarityTraining -HiddenLayerSizes 100 -Activation Relu -Seed 1 -Name 'shallow'</code>
/// <para>The paper's network and sampling from image pairs, and a shallower ReLU network from patch pairs.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Invoke, "SimilarityTraining")]
[OutputType(typeof(FeatureSimilarityModel), typeof(TwoChannelSimilarityModel), typeof(SimilarityModel))]
public sealed class InvokeSimilarityTrainingCommand : TrainingCmdlet
{
    private readonly List<PatchPair> _pairs = [];
    private readonly List<ImagePair> _images = [];
    private SdaeModel? _pipedSdae;

    #region Parameters

    /// <summary>Labelled training pairs (from Get-PatchPair): trains the fully connected network.</summary>
    [Parameter(ValueFromPipeline = true)]
    [ValidateNotNull]
    public PatchPair[] InputObject { get; set; } = [];

    /// <summary>The fixed image of an aligned training pair. Binds the Fixed property of piped objects (Import-ImagePair output).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public MedicalImage? Fixed { get; set; }

    /// <summary>The moving image of an aligned training pair, on the fixed image's grid. Binds the Moving property of piped objects.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public MedicalImage? Moving { get; set; }

    /// <summary>Recommended (default: the two-branch CNN from image pairs, the fully connected network from patch pairs), Paper (the paper's network, loss and sampling), Cnn (the two-branch CNN; image pairs only) or TwoChannel (the two-channel CNN on the stacked patches; image pairs only, 2D, no anchor or context view).</summary>
    [Parameter]
    public TrainingPreset Preset { get; set; } = TrainingPreset.Recommended;

    /// <summary>
    /// CNN: train a 3D model on volume pairs (cubic patches, 3x3x3 convolutions, cubic crops, 3D LCC anchor), scored by
    /// Measure-PredictionError -Volumetric. Unset CNN options take the measured 3D defaults (FeatureTrainingOptions.Volumetric):
    /// patch 7, crops 23^3 (4,913 candidates per query), 4 crops x 16 queries per step, 3x3x3 standardisation windows.
    /// Every volume needs at least -CropSize slices.
    /// </summary>
    [Parameter]
    public SwitchParameter Volumetric { get; set; }

    /// <summary>CNN: patch side = receptive field of a feature vector (odd, at least 3). Default 17 (7 with -Volumetric).</summary>
    [Parameter]
    [ValidateRange(3, 255)]
    public int PatchSize { get; set; } = 17;

    /// <summary>CNN: channels of the hidden convolutions. Default 16.</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int Channels { get; set; } = 16;

    /// <summary>CNN: length of the feature vectors. Default 16.</summary>
    [Parameter]
    [ValidateRange(1, 1024)]
    public int FeatureDimension { get; set; } = 16;

    /// <summary>CNN: optimiser steps per epoch (each on freshly sampled crops). Default 20.</summary>
    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int StepsPerEpoch { get; set; } = 20;

    /// <summary>CNN: crops per step. Default 8 (4 with -Volumetric).</summary>
    [Parameter]
    [ValidateRange(1, 4096)]
    public int CropsPerBatch { get; set; } = 8;

    /// <summary>CNN: side of a training crop; its positions are a query's near candidates. Default 48 (23 with -Volumetric).</summary>
    [Parameter]
    [ValidateRange(5, 4096)]
    public int CropSize { get; set; } = 48;

    /// <summary>CNN: query positions per crop (each a softmax over all candidates of the batch). Default 64 (16 with -Volumetric).</summary>
    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int QueriesPerCrop { get; set; } = 64;

    /// <summary>TwoChannel: candidates each query is ranked against per step (its true position, about half near misses within 4 voxels, some from other crops, the rest anywhere in its crop). Default 128.</summary>
    [Parameter]
    [ValidateRange(2, 100_000)]
    public int CandidatesPerQuery { get; set; } = 128;

    /// <summary>CNN: softmax temperature on the cosine scores. Default 0.1.</summary>
    [Parameter]
    [ValidateRange(1e-4, 100.0)]
    public double Temperature { get; set; } = 0.1;

    /// <summary>CNN: Local (default: every voxel standardised in its 5x5 window, like LCC, so the network ignores each patient's local level and contrast) or ImageRange (scaled by the image's range, format version 2 models).</summary>
    [Parameter]
    public FeatureInputNormalization FeatureNormalization { get; set; } = FeatureInputNormalization.Local;

    /// <summary>CNN: what the score adds to the cosine of the feature vectors: Lcc (a trained weight times the patches' local cross correlation, trained inside the same softmax so that the networks learn what LCC misses) or None (the cosine alone, as format version 3 models). Default Lcc.</summary>
    [Parameter]
    public FeatureScoreAnchor Anchor { get; set; }

    /// <summary>CNN: the context view's downsampling factor F: 0 for none, or 2 to 8 for a second stream per modality that sees an F times larger neighbourhood (about F x PatchSize) averaged and sampled every F voxels; the score adds a trained weight times the cosine of the context vectors. Default 4 (FeatureTrainingOptions.Recommended: on seven unseen CT/MR patient groups it lowered the pooled mean error from 629 to 561); 0 with -Volumetric (the context view is 2D only).</summary>
    [Parameter]
    [ValidateRange(0, 8)]
    public int ContextScale { get; set; }

    /// <summary>CNN: steps of unsupervised pre-training of both branches as denoising convolutional autoencoders (masking noise, reconstruction of the clean standardised input) before the supervised training starts from their weights; 0 for none. Default: the trainer's (FeatureTrainingOptions.PretrainSteps, 0).</summary>
    [Parameter]
    [ValidateRange(0, 1_000_000)]
    public int PretrainSteps { get; set; }

    /// <summary>CNN: train without the geometric and intensity augmentation.</summary>
    [Parameter]
    public SwitchParameter NoAugmentation { get; set; }

    /// <summary>An SDAE from Invoke-SdaePretrain whose encoders initialise the bottom layers. Piping an SdaeModel sets it and, when no pairs are piped, trains on the pairs the SDAE was trained on.</summary>
    [Parameter(ValueFromPipeline = true)]
    public SdaeModel? Pretrained { get; set; }

    /// <summary>Hidden layer sizes. Default 578, 300, 100 (the paper's 578-578-300-100-2 network).</summary>
    [Parameter]
    [ValidateCount(1, 16)]
    public int[] HiddenLayerSizes { get; set; } = [578, 300, 100];

    /// <summary>Hidden units: Sigmoid (default, as the SDAE) or Relu.</summary>
    [Parameter]
    public ActivationKind Activation { get; set; } = ActivationKind.Sigmoid;

    /// <summary>Maximum number of epochs. Default 20 (fully connected network), 30 (CNN: 600 steps of 20 per epoch).</summary>
    [Parameter]
    [ValidateRange(1, 100_000)]
    public int Epochs { get; set; } = 20;

    /// <summary>Fraction of pairs held out for validation (stratified, seeded); 0 disables validation. Default 0.2.</summary>
    [Parameter]
    [ValidateRange(0.0, 0.95)]
    public double ValidationFraction { get; set; } = 0.2;

    /// <summary>Stop after this many epochs without a lower validation loss (best weights kept); 0 trains every epoch. Default 5.</summary>
    [Parameter]
    [ValidateRange(0, 100_000)]
    public int EarlyStoppingPatience { get; set; } = 5;

    /// <summary>How patches become inputs: ImageRange (default) or PatchZScore; must match a pre-trained SDAE's.</summary>
    [Parameter]
    public InputNormalization? Normalization { get; set; }

    /// <summary>The model's name, shown in comparison tables. Default "DeepSim" (with SDAE) or "DeepSim-random-init".</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    #endregion

    #region Overrides

    /// <summary>Collects pairs (and a piped SDAE).</summary>
    protected override void ProcessRecord()
    {
        // Pipeline-bound parameters are reset after each record: remember a piped SDAE.
        if (Pretrained is not null)
        {
            _pipedSdae = Pretrained;
        }

        _pairs.AddRange(InputObject);
        InputObject = [];
        if (Fixed is not null && Moving is not null)
        {
            _images.Add(new ImagePair(Fixed.Name, Fixed, Moving));
        }
        else if (Fixed is not null || Moving is not null)
        {
            WriteError(ErrorIds.IncompleteImagePair, ErrorCategory.InvalidArgument, (object?)Fixed ?? Moving, "An image pair needs both a Fixed and a Moving image.");
        }

        Fixed = null;
        Moving = null;
    }

    /// <summary>Trains.</summary>
    protected override void EndProcessing()
    {
        var sdae = _pipedSdae ?? Pretrained;
        if (_images.Count > 0 && _pairs.Count > 0)
        {
            ThrowTerminating(ErrorIds.MixedTrainingInput, ErrorCategory.InvalidArgument, _images[0], "Invoke-SimilarityTraining received both image pairs and patch pairs; pipe one kind (image pairs train the CNN, patch pairs the fully connected network).");
        }

        if (Preset is TrainingPreset.Cnn or TrainingPreset.TwoChannel && (_images.Count == 0 || sdae is not null))
        {
            ThrowTerminating(ErrorIds.InvalidTrainingSetup, ErrorCategory.InvalidArgument, (object?)_pairs.FirstOrDefault() ?? sdae, $"-Preset {Preset} trains a CNN from image pairs (Import-ImagePair, or objects with Fixed and Moving); it takes neither patch pairs nor an SDAE.");
        }

        if (Preset == TrainingPreset.TwoChannel && (Volumetric || (MyInvocation.BoundParameters.ContainsKey(nameof(Anchor)) && Anchor != FeatureScoreAnchor.None) || ContextScale != 0))
        {
            ThrowTerminating(ErrorIds.InvalidTrainingSetup, ErrorCategory.InvalidArgument, _images.FirstOrDefault(), "-Preset TwoChannel trains a 2D network whose output is the whole score: it takes neither -Volumetric, -Anchor Lcc nor -ContextScale.");
        }

        if (_images.Count > 0 && Preset is TrainingPreset.Recommended or TrainingPreset.Cnn or TrainingPreset.TwoChannel && sdae is null)
        {
            TrainFeatureModel();
            return;
        }

        if (Volumetric)
        {
            ThrowTerminating(ErrorIds.InvalidTrainingSetup, ErrorCategory.InvalidArgument, (object?)_pairs.FirstOrDefault() ?? sdae, "-Volumetric trains the two-branch CNN from volume pairs (Import-ImagePair, or objects with Fixed and Moving); a 3D fully connected model trains from cubic patch pairs (Get-PatchPair -Volumetric) without -Volumetric here.");
        }

        var pairs = _pairs.Count > 0 ? _pairs : sdae?.TrainingPairs?.ToList() ?? [];
        if (pairs.Count == 0 && _images.Count > 0)
        {
            pairs = SamplePaperPairs();
        }

        if (pairs.Count == 0)
        {
            ThrowTerminating(ErrorIds.NoTrainingPairs, ErrorCategory.InvalidData, null, "Invoke-SimilarityTraining received no training data; pipe image pairs (Import-ImagePair) or patch pairs (Get-PatchPair, Invoke-SdaePretrain) into it.");
        }

        var options = new SimilarityTrainingOptions
        {
            HiddenLayerSizes = HiddenLayerSizes,
            Activation = Activation,
            Epochs = Epochs,
            BatchSize = BatchSize,
            LearningRate = LearningRate,
            Optimizer = Optimizer,
            Momentum = Momentum,
            WeightDecay = WeightDecay,
            ValidationFraction = ValidationFraction,
            EarlyStoppingPatience = EarlyStoppingPatience == 0 ? null : EarlyStoppingPatience,
            Seed = Seed,
            Normalization = Normalization ?? sdae?.Normalization ?? InputNormalization.ImageRange,
        };
        var name = Name ?? (sdae is null ? "DeepSim-random-init" : "DeepSim");
        WriteVerbose($"Training {name}: {2 * pairs[0].FixedPatch.Length}-{string.Join("-", HiddenLayerSizes)}-2 on {pairs.Count} pairs, {(sdae is null ? "random initialisation" : "SDAE initialisation")}, seed {Seed}.");
        var model = Train(
            "Invoke-SimilarityTraining",
            (progress, token) => SimilarityTrainer.Train(pairs, options, sdae, progress, token, name),
            _ => 0,
            1,
            ErrorIds.InvalidTrainingSetup,
            sdae ?? (object)options);
        foreach (var epoch in model.History)
        {
            WriteVerbose(epoch.ToString());
        }

        WriteObject(model);
    }

    #endregion

    private void TrainFeatureModel()
    {
        var bound = MyInvocation.BoundParameters;
        // Unset options keep the defaults of the kind trained: the recommended 2D configuration, the two-channel CNN's, or the measured 3D one.
        var twoChannel = Preset == TrainingPreset.TwoChannel;
        var defaults = Volumetric ? FeatureTrainingOptions.Volumetric : twoChannel ? FeatureTrainingOptions.TwoChannel : FeatureTrainingOptions.Recommended;
        T Pick<T>(string parameter, T value, T fallback) => bound.ContainsKey(parameter) ? value : fallback;
        var options = defaults with
        {
            PatchSize = Pick(nameof(PatchSize), PatchSize, defaults.PatchSize),
            Channels = Pick(nameof(Channels), Channels, defaults.Channels),
            FeatureDimension = Pick(nameof(FeatureDimension), FeatureDimension, defaults.FeatureDimension),
            Epochs = Pick(nameof(Epochs), Epochs, defaults.Epochs),
            StepsPerEpoch = Pick(nameof(StepsPerEpoch), StepsPerEpoch, defaults.StepsPerEpoch),
            CropsPerBatch = Pick(nameof(CropsPerBatch), CropsPerBatch, defaults.CropsPerBatch),
            CropSize = Pick(nameof(CropSize), CropSize, defaults.CropSize),
            QueriesPerCrop = Pick(nameof(QueriesPerCrop), QueriesPerCrop, defaults.QueriesPerCrop),
            Temperature = Pick(nameof(Temperature), Temperature, defaults.Temperature),
            Normalization = Pick(nameof(FeatureNormalization), FeatureNormalization, defaults.Normalization),
            Anchor = Pick(nameof(Anchor), Anchor, defaults.Anchor),
            ContextScale = Pick(nameof(ContextScale), ContextScale, defaults.ContextScale),
            PretrainSteps = Pick(nameof(PretrainSteps), PretrainSteps, defaults.PretrainSteps),
            LearningRate = Pick(nameof(LearningRate), LearningRate, defaults.LearningRate),
            WeightDecay = Pick(nameof(WeightDecay), WeightDecay, defaults.WeightDecay),
            CandidatesPerQuery = Pick(nameof(CandidatesPerQuery), CandidatesPerQuery, defaults.CandidatesPerQuery),
            GeometricAugmentation = !NoAugmentation,
            IntensityAugmentation = !NoAugmentation,
            Seed = Seed,
        };
        if (twoChannel)
        {
            var twoChannelName = Name ?? "DeepSim-2ch";
            WriteVerbose($"Training {twoChannelName}: two-channel CNN ({options.Channels}/{2 * options.Channels} channels, {options.HiddenUnits} hidden units, {options.Normalization} input, patch {options.PatchSize}) on {_images.Count} image pairs, {options.Epochs} x {options.StepsPerEpoch} steps of {options.CropsPerBatch} crops x {options.QueriesPerCrop} queries x {options.CandidatesPerQuery} candidates, seed {Seed}.");
            var twoChannelModel = Train(
                "Invoke-SimilarityTraining",
                (progress, token) => TwoChannelSimilarityTrainer.Train(_images, options, progress, token, twoChannelName),
                _ => 0,
                1,
                ErrorIds.InvalidTrainingSetup,
                _images[0]);
            WriteObject(twoChannelModel);
            return;
        }

        var name = Name ?? (Volumetric ? "DeepSim-CNN-3D" : "DeepSim-CNN");
        WriteVerbose($"Training {name}: {options.Dimensions}D two-branch CNN ({options.Channels} channels, {options.Normalization} input, dilations {string.Join(",", ConvLayer.DilationsFor(options.NetworkField))}, {options.FeatureDimension} features, patch {options.PatchSize}, anchor {options.Anchor}, context scale {options.ContextScale}, {options.PretrainSteps} pre-training steps) on {_images.Count} image pairs, {options.Epochs} x {options.StepsPerEpoch} steps of {options.CropsPerBatch} crops, seed {Seed}.");
        var model = Train(
            "Invoke-SimilarityTraining",
            (progress, token) => FeatureSimilarityTrainer.Train(_images, options, progress, token, name),
            p => options.PretrainSteps > 0 && p.Stage != FeatureSimilarityTrainer.PretrainingStage ? 1 : 0,
            options.PretrainSteps > 0 ? 2 : 1,
            ErrorIds.InvalidTrainingSetup,
            _images[0]);
        foreach (var epoch in model.History)
        {
            WriteVerbose(epoch.ToString());
        }

        WriteObject(model);
    }

    /// <summary>The paper's sampling from image pairs: 2,000 positives in or around the skull spread over the pairs, one random negative each.</summary>
    private List<PatchPair> SamplePaperPairs()
    {
        const int positives = 2000;
        var perPair = (positives + _images.Count - 1) / _images.Count;
        var result = new List<PatchPair>();
        for (var i = 0; i < _images.Count; i++)
        {
            var options = new PatchSamplingOptions { PatchSize = 17, Count = perPair, Seed = unchecked(Seed + i), Region = RegionKind.Skull, DilationRadius = 3 };
            try
            {
                result.AddRange(PatchSampler.Sample(_images[i].Fixed, _images[i].Moving, options, null, StopToken));
            }
            catch (PatchSamplingException e)
            {
                WriteError(e.ErrorId, ErrorMapping.Category(e.Error), _images[i], e.Message, e);
            }
        }

        return [.. result.Take(2 * positives)];
    }
}
