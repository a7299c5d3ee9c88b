using System.Globalization;
using DeepSim.Learning;

namespace DeepSim.PowerShell.Infrastructure;

/// <summary>Turns a trainer's progress report into one progress bar update.</summary>
internal static class TrainingProgressFormatter
{
    public static (string Status, int Percent, string Operation) Format(TrainingProgress p, int stageIndex, int stageCount)
    {
        var overall = stageCount <= 0 ? p.StageFraction : (stageIndex + p.StageFraction) / stageCount;
        var status = string.Create(CultureInfo.InvariantCulture, $"{p.Stage}: epoch {p.Epoch}/{p.TotalEpochs}, batch {p.Batch}/{p.TotalBatches}");
        var op = string.Create(CultureInfo.InvariantCulture, $"loss {p.Loss:G4}");
        if (p.Accuracy is double acc)
        {
            op += string.Create(CultureInfo.InvariantCulture, $", accuracy {acc:P1}");
        }

        if (p.ValidationLoss is double vl)
        {
            op += string.Create(CultureInfo.InvariantCulture, $", validation loss {vl:G4}");
        }

        if (p.ValidationAccuracy is double va)
        {
            op += string.Create(CultureInfo.InvariantCulture, $", validation accuracy {va:P1}");
        }

        return (status, (int)Math.Round(100 * overall), op);
    }
}
