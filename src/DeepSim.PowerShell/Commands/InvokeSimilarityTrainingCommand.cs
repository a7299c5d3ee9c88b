using System.Management.Automation;
using DeepSim.Learning;
using DeepSim.Patches;
using DeepSim.PowerShell.Infrastructure;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Trains the similarity network (578-578-300-100-2 by default) on patch pairs, optionally from a pre-trained SDAE.</para>
/// <para type="description">Invoke-SimilarityTraining collects the piped PatchPair objects and trains a fully connected network that classifies a pair (fixed and moving patch side by side) as corresponding or not. The similarity score of a pair is the network's output before the final softmax: the logit of "match" minus the logit of "non-match", so higher means more similar. With -Pretrained (or when an SdaeModel is piped in), the bottom three weight layers start from the SDAE's encoders; without it they start at random (the paper's ablation). A seeded, label-stratified -ValidationFraction is held out; training stops early when the validation loss has not improved for -EarlyStoppingPatience epochs and the best weights are kept. The result is a SimilarityModel with its training history; use it wherever a -Metric is asked for. Progress shows epoch, loss and accuracy; Ctrl+C stops between batches and returns nothing.</para>
/// </summary>
/// <example>
/// <code>$pairs = Get-PatchPair -Fixed $ct -Moving $mr -Count 2000 -Seed 1
/// $sdae = $pairs | Invoke-SdaePretrain -Seed 1
/// $model = $pairs | Invoke-SimilarityTraining -Pretrained $sdae -Epochs 30 -Seed 1
/// $model.History | Format-Table</code>
/// <para>The paper's method: SDAE pre-training, then supervised fine-tuning; the history shows loss and accuracy per epoch on training and validation pairs.</para>
/// </example>
/// <example>
/// <code>$baseline = $pairs | Invoke-SimilarityTraining -Seed 1 -Name 'no-pretraining'
/// $shallow = $pairs | Invoke-SimilarityTraining -HiddenLayerSizes 100 -Activation Relu -Seed 1 -Name 'shallow'</code>
/// <para>The ablations: the same network from random weights, and a shallower ReLU network.</para>
/// </example>
[Cmdlet(VerbsLifecycle.Invoke, "SimilarityTraining")]
[OutputType(typeof(SimilarityModel))]
public sealed class InvokeSimilarityTrainingCommand : TrainingCmdlet
{
    private readonly List<PatchPair> _pairs = [];
    private SdaeModel? _pipedSdae;

    #region Parameters

    /// <summary>Labelled training pairs (from Get-PatchPair).</summary>
    [Parameter(ValueFromPipeline = true)]
    [ValidateNotNull]
    public PatchPair[] InputObject { get; set; } = [];

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

    /// <summary>Maximum number of epochs. Default 20.</summary>
    [Parameter]
    [ValidateRange(1, 100_000)]
    public int Epochs { get; set; } = 20;

    /// <summary>Momentum for Sgd. Default 0.9.</summary>
    [Parameter]
    [ValidateRange(0.0, 0.999999)]
    public double Momentum { get; set; } = 0.9;

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
    }

    /// <summary>Trains.</summary>
    protected override void EndProcessing()
    {
        var sdae = _pipedSdae ?? Pretrained;
        var pairs = _pairs.Count > 0 ? _pairs : sdae?.TrainingPairs?.ToList() ?? [];
        if (pairs.Count == 0)
        {
            ThrowTerminating(ErrorIds.NoTrainingPairs, ErrorCategory.InvalidData, null, "Invoke-SimilarityTraining received no patch pairs; pipe the output of Get-PatchPair (or of Invoke-SdaePretrain) into it.");
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
        WriteVerbose($"Training {name}: {2 * pairs[0].PatchSize * pairs[0].PatchSize}-{string.Join("-", HiddenLayerSizes)}-2 on {pairs.Count} pairs, {(sdae is null ? "random initialisation" : "SDAE initialisation")}, seed {Seed}.");
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
}
