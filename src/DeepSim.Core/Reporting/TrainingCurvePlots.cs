using ScottPlot;

namespace DeepSim.Reporting;

/// <summary>Figures of training histories (loss and accuracy per epoch) of one or more models.</summary>
public static class TrainingCurvePlots
{
    /// <summary>
    /// Writes one PNG with two panels: loss per epoch (left) and accuracy in percent per epoch (right). Each model has
    /// one colour; training is drawn solid, validation dashed (only the epochs that have a validation value). The
    /// legend (models and line styles) sits in the loss panel's upper right corner.
    /// </summary>
    /// <param name="curves">One entry per model, each with at least one epoch; accuracies are fractions 0..1.</param>
    /// <param name="path">PNG file to write (replaced atomically; its folder is created).</param>
    /// <param name="title">Figure title.</param>
    /// <param name="width">Figure width in pixels.</param>
    /// <param name="height">Figure height in pixels.</param>
    /// <exception cref="ArgumentException">No curves, a curve without epochs, a non-finite value, or an accuracy outside 0..1.</exception>
    public static void Write(IReadOnlyList<TrainingCurve> curves, string path, string title, int width = 1000, int height = 460)
    {
        Validate(curves);
        FigureWriter.ValidateSize(width, height);
        var loss = PanelStyle.NewPanel("Loss", "epoch", "loss");
        var accuracy = PanelStyle.NewPanel("Accuracy", "epoch", "accuracy (%)");
        var legend = new List<LegendItem>();
        var lossLines = new List<(double[] Xs, double[] Ys)>();
        for (var i = 0; i < curves.Count; i++)
        {
            var color = PanelStyle.SeriesColor(i);
            var epochs = curves[i].Epochs;
            lossLines.Add(Line(loss, epochs, e => e.TrainLoss, color, LinePattern.Solid));
            lossLines.Add(Line(loss, epochs, e => e.ValidationLoss, color, LinePattern.Dashed));
            Line(accuracy, epochs, e => 100 * e.TrainAccuracy, color, LinePattern.Solid);
            Line(accuracy, epochs, e => 100 * e.ValidationAccuracy, color, LinePattern.Dashed);
            legend.Add(new LegendItem { LabelText = curves[i].Name, LineColor = color, LineWidth = 3 });
        }

        legend.Add(new LegendItem { LabelText = "training", LineColor = Colors.Gray, LineWidth = 2, LinePattern = LinePattern.Solid });
        legend.Add(new LegendItem { LabelText = "validation", LineColor = Colors.Gray, LineWidth = 2, LinePattern = LinePattern.Dashed });

        var first = curves.Min(c => c.Epochs.Min(e => e.Epoch));
        var last = curves.Max(c => c.Epochs.Max(e => e.Epoch));
        var right = Math.Max(last, first + 1);
        foreach (var panel in new[] { loss, accuracy })
        {
            panel.Axes.Bottom.TickGenerator = PanelStyle.IntegerTicks(first, right);
        }

        var losses = curves.SelectMany(c => c.Epochs.SelectMany(e => new[] { e.TrainLoss, e.ValidationLoss ?? e.TrainLoss })).ToArray();
        var lossLow = Math.Min(0, losses.Min());
        var lossHigh = Math.Max(losses.Max(), lossLow + 1e-6);
        loss.Axes.SetLimits(first, right, lossLow, lossHigh + (0.05 * (lossHigh - lossLow)));

        var accuracies = curves.SelectMany(c => c.Epochs.SelectMany(e => new[] { e.TrainAccuracy, e.ValidationAccuracy ?? e.TrainAccuracy })).ToArray();
        var accuracyLow = Math.Max(0, (100 * accuracies.Min()) - 5);
        accuracy.Axes.SetLimits(first, right, Math.Floor(accuracyLow / 10) * 10, 101);

        PanelStyle.ShowLegendAwayFromData(loss, legend, lossLines, (width / 2.0) - 90, height - 150);
        FigureWriter.WritePng(path, title, width, height, [loss, accuracy]);
    }

    private static (double[] Xs, double[] Ys) Line(Plot plot, IReadOnlyList<EpochPoint> epochs, Func<EpochPoint, double?> value, Color color, LinePattern pattern)
    {
        var points = epochs.Where(e => value(e).HasValue).ToArray();
        if (points.Length == 0)
        {
            return ([], []);
        }

        var xs = points.Select(e => (double)e.Epoch).ToArray();
        var ys = points.Select(e => value(e)!.Value).ToArray();
        var line = plot.Add.ScatterLine(xs, ys, color);
        line.LineWidth = 2;
        line.LinePattern = pattern;
        line.MarkerSize = points.Length <= 15 ? 5 : 0;
        line.MarkerShape = MarkerShape.FilledCircle;
        line.LegendText = string.Empty;
        return (xs, ys);
    }

    private static void Validate(IReadOnlyList<TrainingCurve> curves)
    {
        ArgumentNullException.ThrowIfNull(curves);
        if (curves.Count == 0)
        {
            throw new ArgumentException("At least one training curve is needed.", nameof(curves));
        }

        foreach (var c in curves)
        {
            if (c?.Epochs is null || c.Epochs.Count == 0)
            {
                throw new ArgumentException($"Training curve '{c?.Name}' has no epochs.", nameof(curves));
            }

            foreach (var e in c.Epochs)
            {
                double[] values = [e.TrainLoss, e.TrainAccuracy, e.ValidationLoss ?? 0, e.ValidationAccuracy ?? 0];
                if (values.Any(v => !double.IsFinite(v)))
                {
                    throw new ArgumentException($"Training curve '{c.Name}' epoch {e.Epoch} has a non-finite value.", nameof(curves));
                }

                if (e.TrainAccuracy is < 0 or > 1 || e.ValidationAccuracy is < 0 or > 1)
                {
                    throw new ArgumentException($"Training curve '{c.Name}' epoch {e.Epoch}: accuracies are fractions 0..1, got {e.TrainAccuracy} / {e.ValidationAccuracy}.", nameof(curves));
                }
            }
        }
    }
}
