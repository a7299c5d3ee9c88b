using System.Globalization;
using ScottPlot;

namespace DeepSim.Reporting;

/// <summary>Figures of the prediction errors of several similarity metrics, for the experiment report.</summary>
public static class PredictionErrorPlots
{
    /// <summary>Largest tolerance k of the hit-rate panel.</summary>
    public const int HitRateMaxK = 100;

    /// <summary>
    /// Writes one PNG with two panels. Left: a box plot per metric of the prediction errors on a log axis
    /// (log10(1 + error), ticks labelled in error units): the box spans the quartiles, the line is the median, the
    /// whiskers reach the most extreme errors within 1.5 box heights (measured on the log axis), dots beyond are
    /// outliers, and a black diamond marks the mean error (its value is printed next to it). Right: the hit-rate curves,
    /// the percentage of patches whose error is at most k for k = 0..100, one line per metric, in the same colours.
    /// </summary>
    /// <param name="metrics">One entry per metric, each with at least one error; errors must be finite and not negative.</param>
    /// <param name="path">PNG file to write (replaced atomically; its folder is created).</param>
    /// <param name="title">Figure title.</param>
    /// <param name="width">Figure width in pixels.</param>
    /// <param name="height">Figure height in pixels.</param>
    /// <exception cref="ArgumentException">No metrics, a metric without errors, or a negative, NaN or infinite error.</exception>
    public static void WriteDistribution(IReadOnlyList<MetricErrors> metrics, string path, string title, int width = 900, int height = 520) =>
        WriteDistribution(metrics, path, title, width, height, fontFamily: null);

    /// <summary>The same figure; <paramref name="fontFamily"/> overrides ScottPlot's default font (tests use a missing one).</summary>
    internal static void WriteDistribution(IReadOnlyList<MetricErrors> metrics, string path, string title, int width, int height, string? fontFamily)
    {
        Validate(metrics);
        FigureWriter.ValidateSize(width, height);
        // Beyond five metrics the box plot panel gets a larger share of the width so its labels keep apart.
        var distributionShare = 1 + (0.12 * Math.Max(0, metrics.Count - 5));
        var distribution = DistributionPanel(metrics, width * distributionShare / (1 + distributionShare));
        var hitRate = HitRatePanel(metrics);
        if (fontFamily is not null)
        {
            distribution.Font.Set(fontFamily);
            hitRate.Font.Set(fontFamily);
        }

        FigureWriter.WritePng(path, title, width, height, [distribution, hitRate], [distributionShare, 1]);
    }

    /// <summary>Percentage (0..100) of errors at most <paramref name="k"/>.</summary>
    internal static double HitRate(IReadOnlyList<double> errors, double k) => 100.0 * errors.Count(e => e <= k) / errors.Count;

    /// <summary>Quantile with linear interpolation between order statistics (NumPy's default) of sorted values.</summary>
    internal static double Quantile(double[] sorted, double q)
    {
        var position = q * (sorted.Length - 1);
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Length - 1);
        return sorted[below] + ((position - below) * (sorted[above] - sorted[below]));
    }

    /// <summary>The axis coordinate of an error: log10(1 + error).</summary>
    internal static double ToAxis(double error) => Math.Log10(1 + error);

    private static void Validate(IReadOnlyList<MetricErrors> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        if (metrics.Count == 0)
        {
            throw new ArgumentException("At least one metric is needed.", nameof(metrics));
        }

        foreach (var m in metrics)
        {
            if (m?.Errors is null || m.Errors.Count == 0)
            {
                throw new ArgumentException($"Metric '{m?.Metric}' has no errors.", nameof(metrics));
            }

            foreach (var e in m.Errors)
            {
                if (!double.IsFinite(e) || e < 0)
                {
                    throw new ArgumentException($"Metric '{m.Metric}' has the error {e}; errors must be finite and 0 or more.", nameof(metrics));
                }
            }
        }
    }

    /// <summary>Breaks a label at spaces into lines of at most <paramref name="maxChars"/> characters (longer words stay whole).</summary>
    internal static string Wrap(string text, int maxChars)
    {
        var lines = new List<string>();
        var line = string.Empty;
        foreach (var word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > maxChars)
            {
                lines.Add(line);
                line = word;
            }
            else
            {
                line = line.Length == 0 ? word : line + " " + word;
            }
        }

        lines.Add(line);
        return string.Join("\n", lines);
    }

    private static Plot DistributionPanel(IReadOnlyList<MetricErrors> metrics, double panelWidth)
    {
        // Pixels per metric on the x axis (the data area is about the panel minus 90 px of y axis).
        var slot = (panelWidth - 90) / metrics.Count;
        var tickFont = slot >= 64 ? 12f : 10f;
        var maxChars = Math.Max(6, (int)(slot / (tickFont * 0.62)));
        var sameCount = metrics.All(m => m.Errors.Count == metrics[0].Errors.Count);
        var panelTitle = sameCount ? $"Distribution ({metrics[0].Errors.Count.ToString("N0", CultureInfo.InvariantCulture)} patches per metric)" : "Distribution";
        var plot = PanelStyle.NewPanel(panelTitle, "box: quartiles; line: median; diamond: mean", "prediction error (log axis: log10(1 + error))");
        plot.Axes.Bottom.Label.FontSize = 11;
        plot.Axes.Bottom.Label.Bold = false;
        var highest = 0.0;
        var labels = new string[metrics.Count];
        for (var i = 0; i < metrics.Count; i++)
        {
            var color = PanelStyle.SeriesColor(i);
            var sorted = metrics[i].Errors.Select(ToAxis).Order().ToArray();
            var q1 = Quantile(sorted, 0.25);
            var median = Quantile(sorted, 0.5);
            var q3 = Quantile(sorted, 0.75);
            var reach = 1.5 * (q3 - q1);
            var low = sorted.First(v => v >= q1 - reach);
            var high = sorted.Last(v => v <= q3 + reach);
            var outliers = sorted.Where(v => v < low || v > high).ToArray();
            if (outliers.Length > 0)
            {
                // Spread outliers sideways by a low-discrepancy sequence (no randomness) so coincident values stay visible.
                var xs = outliers.Select((_, j) => i + (0.3 * (Fraction(j * 0.6180339887498949) - 0.5))).ToArray();
                var dots = plot.Add.Markers(xs, outliers, MarkerShape.FilledCircle, 3, color.WithAlpha(0.4));
                dots.LegendText = string.Empty;
            }

            var box = plot.Add.Box(new Box
            {
                Position = i,
                BoxMin = q1,
                BoxMax = q3,
                BoxMiddle = median,
                WhiskerMin = low,
                WhiskerMax = high,
                Width = 0.55,
            });
            box.FillColor = color.WithAlpha(0.45);
            box.LineColor = color.Darken(0.4);
            box.LineWidth = 1.5f;
            box.LegendText = string.Empty;

            var mean = metrics[i].Errors.Average();
            plot.Add.Marker(i, ToAxis(mean), MarkerShape.FilledDiamond, 11, Colors.Black);
            labels[i] = $"{Wrap(metrics[i].Metric, maxChars)}\nmean {FormatError(mean)}" + (sameCount ? string.Empty : $"\nn = {metrics[i].Errors.Count.ToString(CultureInfo.InvariantCulture)}");
            highest = Math.Max(highest, sorted[^1]);
        }

        var topError = Math.Pow(10, highest) - 1;
        plot.Axes.Left.TickGenerator = PanelStyle.LogTicks(0, Math.Max(topError, 1), ToAxis);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual([.. Enumerable.Range(0, metrics.Count).Select(i => (double)i)], labels);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        plot.Axes.Bottom.TickLabelStyle.FontSize = tickFont;
        var span = Math.Max(highest, 0.3);
        plot.Axes.SetLimits(-0.6, metrics.Count - 0.4, -0.04 * span, 1.04 * span);
        return plot;
    }

    private static Plot HitRatePanel(IReadOnlyList<MetricErrors> metrics)
    {
        var plot = PanelStyle.NewPanel("Hit rate", "tolerance k (error <= k)", "patches with error <= k (%)");
        var ks = Enumerable.Range(0, HitRateMaxK + 1).Select(k => (double)k).ToArray();
        for (var i = 0; i < metrics.Count; i++)
        {
            var sorted = metrics[i].Errors.Order().ToArray();
            var rates = ks.Select(k => 100.0 * UpperBound(sorted, k) / sorted.Length).ToArray();
            var line = plot.Add.ScatterLine(ks, rates, PanelStyle.SeriesColor(i));
            line.LineWidth = 2.5f;
            line.LegendText = metrics.Count > 5 ? metrics[i].Metric : $"{metrics[i].Metric} ({FormatPercent(rates[0])} exact)";
        }

        plot.Axes.SetLimits(0, HitRateMaxK, 0, 101);
        var legend = plot.ShowLegend(Edge.Bottom);
        legend.Legend.Orientation = Orientation.Horizontal;
        legend.Legend.TightHorizontalWrapping = true;
        return plot;
    }

    /// <summary>Number of sorted values at most <paramref name="k"/>.</summary>
    private static int UpperBound(double[] sorted, double k)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sorted[mid] <= k)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private static double Fraction(double v) => v - Math.Floor(v);

    private static string FormatError(double v) => v.ToString(v < 10 ? "0.0#" : v < 100 ? "0.0" : "0", CultureInfo.InvariantCulture);

    private static string FormatPercent(double v) => v.ToString("0.#", CultureInfo.InvariantCulture) + " %";
}
