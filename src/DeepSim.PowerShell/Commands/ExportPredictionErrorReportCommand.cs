using System.Management.Automation;
using DeepSim.Evaluation;
using DeepSim.PowerShell.Infrastructure;
using DeepSim.Reporting;

namespace DeepSim.PowerShell.Commands;

/// <summary>
/// <para type="synopsis">Writes a comparison report of prediction-error results: a Markdown and a CSV table with bootstrap confidence intervals, and a figure of the error distributions.</para>
/// <para type="description">Export-PredictionErrorReport collects PredictionErrorResult objects (from Measure-PredictionError, possibly from several image sets, e.g. held-out patient groups tagged with -SourceName) and writes into the folder -Path: prediction-error.md and prediction-error.csv (one row per source and metric, then, when there are several sources, one pooled row per metric; columns mean, median and standard deviation of the prediction error and the hit rate, each with a 95% percentile bootstrap interval over patches), and figures/prediction-error.png (box plots of the errors on a log axis beside the fraction of patches within k positions). Every file is written to a temporary name and renamed. It returns the summary rows, which show as a table.</para>
/// </summary>
/// <example>
/// <code>Measure-PredictionError -Metric $model, NMI, LCC -Fixed $ct -Moving $mr -Seed 1 | Export-PredictionErrorReport -Path ./report</code>
/// <para>Writes the comparison of three metrics on one image pair, and shows it.</para>
/// </example>
/// <example>
/// <code>$all = foreach ($g in $groups) { $g.Group | Measure-PredictionError -Metric $models + 'NMI' -Pool -SourceName $g.Name -Seed 1 }
/// $all | Export-PredictionErrorReport -Path ./report -Resamples 5000 | Where-Object Source -eq pooled</code>
/// <para>Per-group and pooled results of a cross-validation, with the pooled rows shown.</para>
/// </example>
[Cmdlet(VerbsData.Export, "PredictionErrorReport", SupportsShouldProcess = true)]
[OutputType(typeof(PredictionErrorSummary))]
public sealed class ExportPredictionErrorReportCommand : DeepSimCmdlet
{
    private readonly List<PredictionErrorResult> _results = [];

    #region Parameters

    /// <summary>Results to report (from Measure-PredictionError).</summary>
    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [ValidateNotNull]
    public PredictionErrorResult[] InputObject { get; set; } = [];

    /// <summary>The report folder (created if needed).</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>Bootstrap resamples for the confidence intervals. Default 2000.</summary>
    [Parameter]
    [ValidateRange(10, 1_000_000)]
    public int Resamples { get; set; } = 2000;

    /// <summary>Seed of the bootstrap. Default 1.</summary>
    [Parameter]
    public int Seed { get; set; } = 1;

    /// <summary>Title of the figure.</summary>
    [Parameter]
    public string Title { get; set; } = "Prediction error";

    #endregion

    #region Overrides

    /// <summary>Collects results.</summary>
    protected override void ProcessRecord() => _results.AddRange(InputObject);

    /// <summary>Writes the report.</summary>
    protected override void EndProcessing()
    {
        if (_results.Count == 0)
        {
            ThrowTerminating("NoPredictionErrorResults", ErrorCategory.InvalidData, null, "Export-PredictionErrorReport received no results; pipe the output of Measure-PredictionError into it.");
        }

        var folder = ResolveOutputPath(Path);
        var options = new PredictionErrorReportOptions { Resamples = Resamples, Seed = Seed, Title = Title };
        var rows = PredictionErrorReport.Summarise(_results, options);
        if (ShouldProcess(folder, "Write prediction-error.md, prediction-error.csv and figures/prediction-error.png"))
        {
            try
            {
                PredictionErrorReport.Write(folder, _results, rows, options);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                ThrowTerminating("ReportWriteFailed", ErrorCategory.WriteError, folder, $"Cannot write the report to '{folder}': {e.Message}", e);
            }
        }

        WriteObject(rows, enumerateCollection: true);
    }

    #endregion
}
