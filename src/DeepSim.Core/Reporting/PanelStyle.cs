using System.Globalization;
using ScottPlot;
using SkiaSharp;

namespace DeepSim.Reporting;

/// <summary>Shared look of DeepSim's figure panels: font sizes, colours per series, and log-scale tick marks.</summary>
internal static class PanelStyle
{
    private static readonly double[] Mantissas = [1, 2, 5];
    private static readonly string[] PreferredFonts = ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica", "Lato", "Noto Sans"];

    /// <summary>A new panel with DeepSim's text sizes and the given title and axis labels.</summary>
    public static Plot NewPanel(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        var font = SansFont();
        if (font is not null)
        {
            plot.Font.Set(font);
        }

        plot.Title(title, 16);
        plot.XLabel(xLabel, 13);
        plot.YLabel(yLabel, 13);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 12;
        plot.Axes.Left.TickLabelStyle.FontSize = 12;
        plot.Grid.MajorLineColor = Color.Gray(230);
        return plot;
    }

    /// <summary>
    /// The first installed sans-serif family DeepSim prefers (ScottPlot's own default may resolve to a serif face on
    /// Linux), or null to keep ScottPlot's choice (which falls back to SkiaSharp's default when no font is installed).
    /// </summary>
    public static string? SansFont() => PreferredFonts.FirstOrDefault(IsInstalled);

    private static bool IsInstalled(string family)
    {
        using var typeface = SKFontManager.Default.MatchFamily(family);
        return typeface is not null && string.Equals(typeface.FamilyName, family, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The colour of series <paramref name="index"/> (Tableau 10, repeating).</summary>
    public static Color SeriesColor(int index) => new ScottPlot.Palettes.Category10().GetColor(index);

    /// <summary>
    /// Major ticks at 1, 2, 5 x 10^k for the values v whose transform lies in [min, max], labelled with v, and minor
    /// ticks at the other integer multiples. <paramref name="transform"/> maps a value to the axis coordinate.
    /// </summary>
    /// <param name="lowestValue">Smallest value worth a tick (0 for log10(1 + v) axes, a power of ten for log10 axes).</param>
    /// <param name="highestValue">Largest value worth a tick.</param>
    /// <param name="transform">Value to axis coordinate.</param>
    public static ScottPlot.TickGenerators.NumericManual LogTicks(double lowestValue, double highestValue, Func<double, double> transform) =>
        new([.. LogTickList(lowestValue, highestValue, transform)]);

    /// <summary>The ticks <see cref="LogTicks"/> places, in order.</summary>
    public static List<Tick> LogTickList(double lowestValue, double highestValue, Func<double, double> transform)
    {
        var ticks = new List<Tick>();
        if (lowestValue <= 0)
        {
            ticks.Add(Tick.Major(transform(0), "0"));
        }

        var first = (int)Math.Floor(Math.Log10(Math.Max(lowestValue, 1e-300)));
        if (lowestValue <= 0)
        {
            first = 0;
        }

        var last = (int)Math.Ceiling(Math.Log10(Math.Max(highestValue, 1e-300)));
        var majors = 0;
        for (var k = first; k <= last; k++)
        {
            majors += Mantissas.Count(m => InRange(m * Math.Pow(10, k), lowestValue, highestValue));
        }

        // With many decades, label only the powers of ten so the labels stay apart.
        // With few, label every integer multiple so at least two labels show.
        double[] mantissas = majors > 9 ? [1.0] : majors < 2 ? [1, 2, 3, 4, 5, 6, 7, 8, 9] : Mantissas;
        for (var k = first; k <= last; k++)
        {
            var decade = Math.Pow(10, k);
            for (var m = 1; m <= 9; m++)
            {
                var v = m * decade;
                if (!InRange(v, lowestValue, highestValue))
                {
                    continue;
                }

                if (mantissas.Contains(m))
                {
                    ticks.Add(Tick.Major(transform(v), Format(v)));
                }
                else
                {
                    ticks.Add(Tick.Minor(transform(v)));
                }
            }
        }

        return ticks;
    }

    /// <summary>Major ticks at whole numbers from <paramref name="first"/> to <paramref name="last"/>, at most about 10 of them.</summary>
    public static ScottPlot.TickGenerators.NumericManual IntegerTicks(int first, int last)
    {
        var span = Math.Max(1, last - first);
        int[] steps = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000];
        var step = steps.FirstOrDefault(s => span / s <= 10, (span / 10) + 1);
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        for (var v = (int)Math.Ceiling((double)first / step) * step; v <= last; v += step)
        {
            ticks.AddMajor(v, v.ToString(CultureInfo.InvariantCulture));
        }

        return ticks;
    }

    /// <summary>
    /// Shows the legend inside the data area in the corner (or edge middle) that covers the fewest data points, so the
    /// legend hides as little of the curves as possible. The legend's size is estimated from its item count and longest
    /// label against the panel's approximate data-area size in pixels; lines are sampled along their segments.
    /// </summary>
    /// <param name="plot">The panel (its axis limits must already be set).</param>
    /// <param name="items">The legend items.</param>
    /// <param name="lines">The drawn lines in axis coordinates.</param>
    /// <param name="dataWidth">Approximate data-area width in pixels.</param>
    /// <param name="dataHeight">Approximate data-area height in pixels.</param>
    public static void ShowLegendAwayFromData(Plot plot, IReadOnlyList<LegendItem> items, IReadOnlyList<(double[] Xs, double[] Ys)> lines, double dataWidth, double dataHeight)
    {
        plot.Legend.SymbolWidth = 34;
        var limits = plot.Axes.GetLimits();
        var longest = items.Max(i => i.LabelText?.Length ?? 0);
        var w = Math.Min(0.9, ((longest * 7.5) + 70) / Math.Max(dataWidth, 1));
        var h = Math.Min(0.9, ((items.Count * 20.0) + 20) / Math.Max(dataHeight, 1));
        var points = new List<(double X, double Y)>();
        foreach (var (xs, ys) in lines)
        {
            for (var i = 0; i < xs.Length; i++)
            {
                var x = (xs[i] - limits.Left) / Math.Max(limits.Right - limits.Left, 1e-12);
                var y = (ys[i] - limits.Bottom) / Math.Max(limits.Top - limits.Bottom, 1e-12);
                if (i == 0)
                {
                    points.Add((x, y));
                    continue;
                }

                var (px, py) = points[^1];
                for (var k = 1; k <= 20; k++)
                {
                    points.Add((px + ((x - px) * k / 20), py + ((y - py) * k / 20)));
                }
            }
        }

        (Alignment Alignment, double Left, double Bottom)[] candidates =
        [
            (Alignment.UpperRight, 1 - w, 1 - h), (Alignment.UpperLeft, 0, 1 - h), (Alignment.LowerRight, 1 - w, 0), (Alignment.LowerLeft, 0, 0),
            (Alignment.MiddleRight, 1 - w, 0.5 - (h / 2)), (Alignment.MiddleLeft, 0, 0.5 - (h / 2)), (Alignment.UpperCenter, 0.5 - (w / 2), 1 - h),
            (Alignment.LowerCenter, 0.5 - (w / 2), 0),
        ];
        var best = candidates[0].Alignment;
        var fewest = int.MaxValue;
        foreach (var (alignment, left, bottom) in candidates)
        {
            var covered = points.Count(p => p.X >= left - 0.03 && p.X <= left + w + 0.03 && p.Y >= bottom - 0.03 && p.Y <= bottom + h + 0.03);
            if (covered < fewest)
            {
                fewest = covered;
                best = alignment;
            }
        }

        plot.ShowLegend(items, best);
    }

    /// <summary>A compact, culture-invariant label for a tick value (0.001, 0.5, 20, 5000, 1e+06).</summary>
    public static string Format(double v) =>
        v is >= 1e-4 and < 1e6 or 0 ? v.ToString("0.####", CultureInfo.InvariantCulture) : v.ToString("0e+0", CultureInfo.InvariantCulture);

    private static bool InRange(double v, double low, double high) => v >= low * (1 - 1e-9) && v <= high * (1 + 1e-9);
}
