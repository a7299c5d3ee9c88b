namespace DeepSim.Learning;

/// <summary>One epoch of similarity-network training.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="TrainLoss">Mean cross-entropy over the training pairs (excluding the weight-decay term).</param>
/// <param name="TrainAccuracy">Fraction of training pairs classified correctly during the epoch.</param>
/// <param name="ValidationLoss">Mean cross-entropy on the validation pairs after the epoch, or null without validation.</param>
/// <param name="ValidationAccuracy">Validation accuracy after the epoch, or null without validation.</param>
public sealed record TrainingEpoch(
    int Epoch,
    double TrainLoss,
    double TrainAccuracy,
    double? ValidationLoss,
    double? ValidationAccuracy);
