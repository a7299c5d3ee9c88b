using System.Management.Automation;
using DeepSim.Learning;
using DeepSim.PowerShell.Infrastructure;
using DeepSim.Reporting;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Plots training histories: loss and accuracy per epoch of similarity models, or the reconstruction error per epoch of an SDAE's autoencoders.</para>
/// <para type="description">Export-TrainingHistoryPlot draws the piped models into one PNG. For SimilarityModel objects: loss (left) and accuracy (right) per epoch, one colour per model, training solid and validation dashed. For an SdaeModel: the reconstruction error per epoch of each autoencoder (fixed, moving, then the shared levels) on a log axis. The file is written to a temporary name and renamed; -WhatIf and -Confirm are honoured.</para>
/// </summary>
/// <example>
/// <code>$paper, $ablation | Export-TrainingHistoryPlot -Path ./curves.png -Title 'SDAE vs random initialisation'</code>
/// <para>Compares the training of two models.</para>
/// </example>
/// <example>
/// <code>$sdae | Export-TrainingHistoryPlot -Path ./sdae.png</code>
/// <para>Shows how each autoencoder's reconstruction error fell during pre-training.</para>
/// </example>
[Cmdlet(VerbsData.Export, "TrainingHistoryPlot", SupportsShouldProcess = true)]
[OutputType(typeof(FileInfo))]
public sealed class ExportTrainingHistoryPlotCommand : DeepSimCmdlet
{
    private readonly List<object> _models = [];

    #region Parameters

    /// <summary>SimilarityModel objects, or one SdaeModel.</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public object[] InputObject { get; set; } = [];

    /// <summary>The PNG file to write.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>Figure title.</summary>
    [Parameter]
    public string? Title { get; set; }

    /// <summary>Replace a read-only file (its permissions are kept). Without it a read-only target is an error (PlotFileReadOnly).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Write the file's FileInfo to the pipeline.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    #endregion

    #region Overrides

    /// <summary>Collects models.</summary>
    protected override void ProcessRecord()
    {
        foreach (var o in InputObject)
        {
            var model = o is PSObject p ? p.BaseObject : o;
            if (model is SimilarityModel or SdaeModel)
            {
                _models.Add(model);
            }
            else
            {
                WriteError(ErrorIds.NotAModel, ErrorCategory.InvalidType, model, $"Export-TrainingHistoryPlot plots SimilarityModel or SdaeModel objects, not {model.GetType().FullName}.");
            }
        }
    }

    /// <summary>Draws the figure.</summary>
    protected override void EndProcessing()
    {
        var similarity = _models.OfType<SimilarityModel>().ToList();
        var sdae = _models.OfType<SdaeModel>().ToList();
        if (_models.Count == 0)
        {
            ThrowTerminating(ErrorIds.NoModels, ErrorCategory.InvalidData, null, "Export-TrainingHistoryPlot received no models.");
        }

        if ((similarity.Count > 0 && sdae.Count > 0) || sdae.Count > 1)
        {
            ThrowTerminating(ErrorIds.MixedModels, ErrorCategory.InvalidArgument, _models, "Plot either similarity models or one SDAE per figure.");
        }

        var path = ResolveOutputPath(Path);
        if (!ShouldProcess(path, "Write training history PNG"))
        {
            return;
        }

        try
        {
            using var scope = DeepSim.IO.AtomicFile.ReplaceReadOnly(Force);
            if (similarity.Count > 0)
            {
                var curves = similarity.Select(m => new TrainingCurve(m.Name, [.. m.History.Select(h => new EpochPoint(h.Epoch, h.TrainLoss, h.TrainAccuracy, h.ValidationLoss, h.ValidationAccuracy))])).ToList();
                TrainingCurvePlots.Write(curves, path, Title ?? "Similarity network training");
            }
            else
            {
                var layers = sdae[0].Autoencoders.Select(a => ($"level {a.Level} ({a.Name})", (IReadOnlyList<double>)a.EpochReconstructionErrors)).ToList();
                SdaeCurvePlots.Write(layers, path, Title ?? "SDAE pre-training");
            }
        }
        catch (DeepSim.IO.AtomicWriteRefusedException e)
        {
            WriteRefusal(ErrorIds.PlotFileReadOnly, ErrorIds.PlotFileNotARegularFile, e, terminating: true);
        }
        catch (ArgumentException e)
        {
            ThrowTerminating(ErrorIds.InvalidHistory, ErrorCategory.InvalidData, _models, e.Message, e);
        }
        catch (Exception e) when (ErrorMapping.IsIoFailure(e))
        {
            ThrowIoError(ErrorIds.PlotWriteFailed, path, e, writing: true);
        }

        if (PassThru)
        {
            WriteObject(new FileInfo(path));
        }
    }

    #endregion
}
