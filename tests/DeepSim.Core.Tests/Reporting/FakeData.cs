using DeepSim.Reporting;

namespace DeepSim.Tests.Reporting;

/// <summary>Realistic, seeded fake inputs for the report figures.</summary>
public static class FakeData
{
    /// <summary>
    /// Errors of five metrics: geometric with metric-specific success probability (most mass near 0), plus a few
    /// uniformly spread gross failures over the whole 81x81 window (0..6560).
    /// </summary>
    public static List<MetricErrors> Errors(int patches = 2000, int seed = 42)
    {
        var random = new Random(seed);
        (string Name, double P, double Failures)[] metrics = [("DeepSim", 0.45, 0.01), ("NMI", 0.12, 0.05), ("MI", 0.08, 0.07), ("LCC", 0.05, 0.10), ("SSD", 0.01, 0.25)];
        var result = new List<MetricErrors>();
        foreach (var (name, p, failures) in metrics)
        {
            var errors = new double[patches];
            for (var i = 0; i < patches; i++)
            {
                errors[i] = random.NextDouble() < failures
                    ? random.Next(0, 6561)
                    : Math.Min(6560, Math.Floor(Math.Log(1 - random.NextDouble()) / Math.Log(1 - p)));
            }

            result.Add(new MetricErrors(name, errors));
        }

        return result;
    }

    /// <summary>Three models over 40 epochs: decaying losses with seeded noise, validation every second epoch for one.</summary>
    public static List<TrainingCurve> Curves(int epochs = 40, int seed = 3)
    {
        var random = new Random(seed);
        (string Name, double Start, double Floor, double Tau, double Gap)[] models =
            [("DeepSim (SDAE pre-trained)", 0.69, 0.18, 6, 0.03), ("DeepSim (random init)", 0.70, 0.27, 12, 0.06), ("shallow 578-100-2", 0.71, 0.36, 9, 0.02)];
        var result = new List<TrainingCurve>();
        for (var m = 0; m < models.Length; m++)
        {
            var (name, start, floor, tau, gap) = models[m];
            var points = new List<EpochPoint>();
            for (var e = 1; e <= epochs; e++)
            {
                var loss = floor + ((start - floor) * Math.Exp(-(e - 1) / tau)) + (0.01 * (random.NextDouble() - 0.5));
                var validationLoss = loss + (gap * (1 - Math.Exp(-e / 10.0))) + (0.015 * (random.NextDouble() - 0.5));
                var accuracy = Math.Clamp(1.0 - (0.75 * loss) + 0.02, 0, 1);
                var validationAccuracy = Math.Clamp(1.0 - (0.75 * validationLoss) + 0.02, 0, 1);
                var validated = m != 2 || e % 2 == 0;
                points.Add(new EpochPoint(e, loss, accuracy, validated ? validationLoss : null, validated ? validationAccuracy : null));
            }

            result.Add(new TrainingCurve(name, points));
        }

        return result;
    }

    /// <summary>Two autoencoders' reconstruction errors over 60 epochs, decaying to a floor with seeded noise.</summary>
    public static List<(string Layer, IReadOnlyList<double> ReconstructionErrors)> Sdae(int epochs = 60, int seed = 5)
    {
        var random = new Random(seed);
        var result = new List<(string Layer, IReadOnlyList<double> ReconstructionErrors)>();
        (string Name, double Start, double Floor, double Tau)[] layers = [("layer 1: 578 -> 300 (multimodal)", 0.09, 0.004, 8), ("layer 2: 300 -> 100", 0.03, 0.0015, 12)];
        foreach (var (name, start, floor, tau) in layers)
        {
            var errors = new double[epochs];
            for (var e = 0; e < epochs; e++)
            {
                errors[e] = (floor + ((start - floor) * Math.Exp(-e / tau))) * (1 + (0.04 * (random.NextDouble() - 0.5)));
            }

            result.Add((name, errors));
        }

        return result;
    }
}
