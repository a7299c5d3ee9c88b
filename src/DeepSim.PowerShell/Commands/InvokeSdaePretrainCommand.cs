using System.Management.Automation;
using DeepSim.Learning;
using DeepSim.Patches;
using DeepSim.PowerShell.Infrastructure;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Pre-trains a multimodal stacked denoising autoencoder (SDAE) on patch pairs, layer by layer.</para>
/// <para type="description">Invoke-SdaePretrain collects the piped PatchPair objects and trains, layer by layer, the paper's multimodal SDAE: first one denoising autoencoder per modality side by side (fixed patch 289 -> 289 and moving patch 289 -> 289, together the 578-wide first layer), then denoising autoencoders on the shared representation (578 -> 300, then 300 -> 100). Each minimises the reconstruction error of the clean input from a corrupted one (masking noise by default), plus weight decay and a KL sparsity penalty that pulls each hidden unit's mean activation toward -SparsityTarget (rho) with weight -SparsityWeight (beta). The result is an SdaeModel with each layer's final reconstruction error and mean activation; it keeps the training pairs (in memory only), so that piping it on to Invoke-SimilarityTraining fine-tunes on the same data. Progress shows layer, epoch and loss; Ctrl+C stops between batches and returns nothing.</para>
/// </summary>
/// <example>
/// <code>$sdae = Get-PatchPair -Fixed $ct -Moving $mr -Count 2000 -Seed 1 | Invoke-SdaePretrain -Seed 1
/// $sdae.Autoencoders | Format-Table Level, Name, ReconstructionError, MeanHiddenActivation</code>
/// <para>Pre-trains the paper's 578-300-100 SDAE on 4,000 CT/MR pairs and shows each layer's reconstruction error.</para>
/// </example>
/// <example>
/// <code>$model = Import-MedicalImage ./CT/2004.png, ./MR/2004.png | ForEach-Object -Begin { $i = @() } -Process { $i += $_ } -End { Get-PatchPair -Fixed $i[0] -Moving $i[1] -Seed 1 } | Invoke-SdaePretrain -EpochsPerLayer 10 | Invoke-SimilarityTraining -Epochs 10</code>
/// <para>The whole chain in one pipeline: the SDAE's output initialises the similarity network, which trains on the same pairs.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Invoke, "SdaePretrain")]
[OutputType(typeof(SdaeModel))]
public sealed class InvokeSdaePretrainCommand : TrainingCmdlet
{
    private readonly List<PatchPair> _pairs = [];

    #region Parameters

    /// <summary>Training patch pairs (from Get-PatchPair). Labels are not used: pre-training is unsupervised.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public PatchPair[] InputObject { get; set; } = [];

    /// <summary>Hidden sizes per level: the first is both modality autoencoders together (each gets half), the rest are shared. Default 578, 300, 100.</summary>
    [Parameter]
    [ValidateCount(1, 16)]
    public int[] LayerSizes { get; set; } = [578, 300, 100];

    /// <summary>Input corruption: Masking (set inputs to 0 with probability -CorruptionLevel, default) or Gaussian (add noise of that standard deviation).</summary>
    [Parameter]
    public CorruptionKind Corruption { get; set; } = CorruptionKind.Masking;

    /// <summary>Masking probability or Gaussian standard deviation. Default 0.2.</summary>
    [Parameter]
    [ValidateRange(0.0, 10.0)]
    public double CorruptionLevel { get; set; } = 0.2;

    /// <summary>Target mean activation rho of each hidden unit. Default 0.05.</summary>
    [Parameter]
    [Alias("Rho")]
    [ValidateRange(1e-6, 0.999999)]
    public double SparsityTarget { get; set; } = 0.05;

    /// <summary>Weight beta of the KL sparsity penalty; 0 disables it. Default 0.1.</summary>
    [Parameter]
    [Alias("Beta")]
    [ValidateRange(0.0, 1000.0)]
    public double SparsityWeight { get; set; } = 0.1;

    /// <summary>Epochs per autoencoder. Default 20.</summary>
    [Parameter]
    [ValidateRange(1, 100_000)]
    public int EpochsPerLayer { get; set; } = 20;

    /// <summary>How patches become inputs: ImageRange (each image's range to [0,1], default, the paper's) or PatchZScore.</summary>
    [Parameter]
    public InputNormalization Normalization { get; set; } = InputNormalization.ImageRange;

    #endregion

    #region Overrides

    /// <summary>Collects pairs.</summary>
    protected override void ProcessRecord() => _pairs.AddRange(InputObject);

    /// <summary>Trains.</summary>
    protected override void EndProcessing()
    {
        if (_pairs.Count == 0)
        {
            ThrowTerminating(ErrorIds.NoTrainingPairs, ErrorCategory.InvalidData, null, "Invoke-SdaePretrain received no patch pairs; pipe the output of Get-PatchPair into it.");
        }

        var options = new SdaeOptions
        {
            LayerSizes = LayerSizes,
            Corruption = Corruption,
            CorruptionLevel = CorruptionLevel,
            SparsityTarget = SparsityTarget,
            SparsityWeight = SparsityWeight,
            WeightDecay = WeightDecay,
            EpochsPerLayer = EpochsPerLayer,
            BatchSize = BatchSize,
            LearningRate = LearningRate,
            Optimizer = Optimizer,
            Momentum = Momentum,
            Normalization = Normalization,
            Seed = Seed,
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            ThrowTerminating(ErrorIds.InvalidSdaeOptions, ErrorCategory.InvalidArgument, options, e.Message, e);
        }

        WriteVerbose($"Pre-training an SDAE {string.Join("-", LayerSizes)} on {_pairs.Count} pairs, {EpochsPerLayer} epochs per layer, seed {Seed}.");
        var levels = LayerSizes.Length;
        // Level 1 trains two autoencoders (fixed, moving): levels + 1 stages in all.
        var model = Train(
            "Invoke-SdaePretrain",
            (progress, token) => SdaeTrainer.Train(_pairs, options, progress, token),
            p => p.Layer <= 1 ? (p.Stage.Contains("moving", StringComparison.OrdinalIgnoreCase) ? 1 : 0) : p.Layer,
            levels + 1,
            ErrorIds.InvalidTrainingData,
            _pairs.Count);
        model.TrainingPairs = _pairs;
        foreach (var ae in model.Autoencoders)
        {
            WriteVerbose(ae.ToString());
        }

        WriteObject(model);
    }

    #endregion
}
