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
    public static ScottPlot.TickGenerators.NumericManual LogTicks(double lowestValue, double highestValue, Func<double, double> transform)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        if (lowestValue <= 0)
        {
            ticks.AddMajor(transform(0), "0");
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
        var mantissas = majors > 9 ? [1.0] : Mantissas;
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
                    ticks.AddMajor(transform(v), Format(v));
                }
                else
                {
                    ticks.AddMinor(transform(v));
                }
            }
        }

        return ticks;
    }

    /// <summary>A compact, culture-invariant label for a tick value (0.001, 0.5, 20, 5000, 1e+06).</summary>
    public static string Format(double v) =>
        v is >= 1e-4 and < 1e6 or 0 ? v.ToString("0.####", CultureInfo.InvariantCulture) : v.ToString("0e+0", CultureInfo.InvariantCulture);

    private static bool InRange(double v, double low, double high) => v >= low * (1 - 1e-9) && v <= high * (1 + 1e-9);
}
