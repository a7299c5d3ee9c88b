using ScottPlot;

namespace DeepSim.Reporting;

/// <summary>Figure of the layer-wise pre-training of the stacked denoising autoencoder.</summary>
public static class SdaeCurvePlots
{
    /// <summary>
    /// Writes one PNG: the reconstruction error per epoch (epoch 1 = the first value) of each autoencoder, one coloured
    /// line per layer, on a log10 y axis labelled in error units.
    /// </summary>
    /// <param name="layers">Per autoencoder: its name and its reconstruction error per epoch (finite, greater than 0).</param>
    /// <param name="path">PNG file to write (replaced atomically; its folder is created).</param>
    /// <param name="title">Figure title.</param>
    /// <param name="width">Figure width in pixels.</param>
    /// <param name="height">Figure height in pixels.</param>
    /// <exception cref="ArgumentException">No layers, a layer without epochs, or an error that is not finite and positive.</exception>
    public static void Write(IReadOnlyList<(string Layer, IReadOnlyList<double> ReconstructionErrors)> layers, string path, string title, int width = 800, int height = 500)
    {
        ArgumentNullException.ThrowIfNull(layers);
        if (layers.Count == 0)
        {
            throw new ArgumentException("At least one layer is needed.", nameof(layers));
        }

        foreach (var (layer, errors) in layers)
        {
            if (errors is null || errors.Count == 0)
            {
                throw new ArgumentException($"Layer '{layer}' has no reconstruction errors.", nameof(layers));
            }

            if (errors.Any(e => !double.IsFinite(e) || e <= 0))
            {
                throw new ArgumentException($"Layer '{layer}' has a reconstruction error that is not finite and positive (a log axis needs > 0).", nameof(layers));
            }
        }

        FigureWriter.ValidateSize(width, height);
        var plot = PanelStyle.NewPanel(string.Empty, "epoch", "reconstruction error (log axis)");
        var drawn = new List<(double[] Xs, double[] Ys)>();
        var legend = new List<LegendItem>();
        for (var i = 0; i < layers.Count; i++)
        {
            var (name, errors) = layers[i];
            var xs = Enumerable.Range(1, errors.Count).Select(e => (double)e).ToArray();
            var ys = errors.Select(Math.Log10).ToArray();
            var line = plot.Add.ScatterLine(xs, ys, PanelStyle.SeriesColor(i));
            line.LineWidth = 2.5f;
            line.MarkerSize = errors.Count <= 15 ? 5 : 0;
            line.MarkerShape = MarkerShape.FilledCircle;
            line.LegendText = string.Empty;
            drawn.Add((xs, ys));
            legend.Add(new LegendItem { LabelText = name, LineColor = PanelStyle.SeriesColor(i), LineWidth = 3 });
        }

        var all = layers.SelectMany(l => l.ReconstructionErrors).ToArray();
        var low = Math.Log10(all.Min());
        var high = Math.Log10(all.Max());
        var margin = Math.Max(0.05 * (high - low), 0.02);
        var bottom = low - margin;
        var top = high + margin;
        plot.Axes.Left.TickGenerator = PanelStyle.LogTicks(Math.Pow(10, bottom), Math.Pow(10, top), Math.Log10);
        var epochs = layers.Max(l => l.ReconstructionErrors.Count);
        plot.Axes.Bottom.TickGenerator = PanelStyle.IntegerTicks(1, Math.Max(epochs, 2));
        plot.Axes.SetLimits(1, Math.Max(epochs, 2), bottom, top);
        PanelStyle.ShowLegendAwayFromData(plot, legend, drawn, width - 110, height - 130);
        FigureWriter.WritePng(path, title, width, height, [plot]);
    }
}
