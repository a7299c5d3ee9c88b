using System.Management.Automation;
using DeepSim.Learning;

namespace DeepSim.PowerShell.Infrastructure;

/// <summary>Base of the training cmdlets: the optimiser settings they share and a cancellable run with progress.</summary>
public abstract class TrainingCmdlet : DeepSimCmdlet
{
    /// <summary>Mini-batch size. Default 64.</summary>
    [Parameter]
    [ValidateRange(1, 1_000_000)]
    public int BatchSize { get; set; } = 64;

    /// <summary>Learning rate. Default 0.001.</summary>
    [Parameter]
    [ValidateRange(1e-9, 100.0)]
    public double LearningRate { get; set; } = 1e-3;

    /// <summary>Optimiser: Adam (default) or Sgd (with momentum).</summary>
    [Parameter]
    public OptimizerKind Optimizer { get; set; } = OptimizerKind.Adam;

    /// <summary>Momentum for Sgd (ignored by Adam). Default 0.9.</summary>
    [Parameter]
    [ValidateRange(0.0, 0.999999)]
    public double Momentum { get; set; } = 0.9;

    /// <summary>L2 weight decay on the weights (not the biases). Default 1e-4.</summary>
    [Parameter]
    [ValidateRange(0.0, 10.0)]
    public double WeightDecay { get; set; } = 1e-4;

    /// <summary>Seed of every random choice; the same seed gives the same model and the same scores on the same machine. Default 1.</summary>
    [Parameter]
    public int Seed { get; set; } = 1;

    /// <summary>
    /// Runs a trainer with a progress bar (stage <paramref name="stage"/> of <paramref name="stageCount"/> per report);
    /// Ctrl+C stops it between batches and nothing is returned; invalid settings or data stop the cmdlet with
    /// <paramref name="invalidErrorId"/>.
    /// </summary>
    protected T Train<T>(string activity, Func<IProgress<TrainingProgress>, CancellationToken, T> trainer, Func<TrainingProgress, int> stage, int stageCount, string invalidErrorId, object? target)
        where T : class
    {
        T model;
        try
        {
            model = RunWithProgress<TrainingProgress, T>(
                trainer,
                p =>
                {
                    var (status, percent, op) = TrainingProgressFormatter.Format(p, stage(p), stageCount);
                    return new ProgressUpdate(activity, status, percent, op);
                });
        }
        catch (OperationCanceledException) when (StopToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (ArgumentException e)
        {
            ThrowTerminating(invalidErrorId, ErrorCategory.InvalidArgument, target, e.Message, e);
            throw;
        }

        CompleteProgress(activity);
        return model;
    }
}
