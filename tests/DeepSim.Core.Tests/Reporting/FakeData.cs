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
}
