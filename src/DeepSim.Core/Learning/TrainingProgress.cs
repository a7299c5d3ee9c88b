namespace DeepSim.Learning;

/// <summary>
/// A progress report from <see cref="SdaeTrainer"/> or <see cref="SimilarityTrainer"/>: sent every few batches
/// (Batch &lt; TotalBatches, running mean loss of the epoch so far) and at the end of every epoch (Batch = TotalBatches).
/// </summary>
/// <param name="Stage">What is being trained, e.g. "SDAE layer 1/3 (fixed)" or "Fine-tuning".</param>
/// <param name="Layer">1-based SDAE layer, or 0 for fine-tuning.</param>
/// <param name="Epoch">1-based epoch.</param>
/// <param name="TotalEpochs">Epochs planned for this stage.</param>
/// <param name="Batch">Batches done in this epoch.</param>
/// <param name="TotalBatches">Batches per epoch.</param>
/// <param name="Loss">Mean training loss of this epoch so far (SDAE: reconstruction MSE per input value).</param>
/// <param name="Accuracy">Training accuracy of this epoch so far (fine-tuning only).</param>
/// <param name="ValidationLoss">Validation loss at the end of the epoch (fine-tuning with a validation split), else null.</param>
/// <param name="ValidationAccuracy">Validation accuracy at the end of the epoch, else null.</param>
public sealed record TrainingProgress(
    string Stage,
    int Layer,
    int Epoch,
    int TotalEpochs,
    int Batch,
    int TotalBatches,
    double Loss,
    double? Accuracy = null,
    double? ValidationLoss = null,
    double? ValidationAccuracy = null)
{
    /// <summary>Fraction of this stage done, 0..1.</summary>
    public double StageFraction => TotalEpochs <= 0 || TotalBatches <= 0
        ? 0
        : (((Epoch - 1) * (double)TotalBatches) + Batch) / (TotalEpochs * (double)TotalBatches);
}
