namespace DeepSim.Reporting;

/// <summary>One epoch of a training run.</summary>
/// <param name="Epoch">Epoch number (1 for the first).</param>
/// <param name="TrainLoss">Mean training loss of the epoch.</param>
/// <param name="TrainAccuracy">Training accuracy as a fraction 0..1.</param>
/// <param name="ValidationLoss">Validation loss, or null when not measured in this epoch.</param>
/// <param name="ValidationAccuracy">Validation accuracy as a fraction 0..1, or null when not measured.</param>
public sealed record EpochPoint(int Epoch, double TrainLoss, double TrainAccuracy, double? ValidationLoss, double? ValidationAccuracy);

/// <summary>The per-epoch history of one trained model.</summary>
/// <param name="Name">Model name shown in the legend.</param>
/// <param name="Epochs">Its epochs in order.</param>
public sealed record TrainingCurve(string Name, IReadOnlyList<EpochPoint> Epochs);
