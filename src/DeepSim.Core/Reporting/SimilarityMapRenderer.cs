using System.Globalization;
using DeepSim.Evaluation;
using SkiaSharp;

namespace DeepSim.Reporting;

/// <summary>Layout settings of <see cref="SimilarityMapRenderer.WritePng"/>.</summary>
public sealed record SimilarityMapRenderOptions
{
    /// <summary>Pixels per score cell; null picks one so that a panel is about 240 pixels wide.</summary>
    public int? CellSize { get; init; }

    /// <summary>Panels per row; null puts every map side by side in one row.</summary>
    public int? Columns { get; init; }

    /// <summary>A TrueType font for the titles; null tries the system's sans-serif fonts.</summary>
    public string? FontPath { get; init; }
}

/// <summary>What <see cref="SimilarityMapRenderer.WritePng"/> wrote.</summary>
/// <param name="Path">Full path of the PNG.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="HasText">False when no font was found and the panels were drawn without titles.</param>
public sealed record RenderedPng(string Path, int Width, int Height, bool HasText);

/// <summary>
/// Draws similarity maps side by side into one PNG: each map min-max normalised and coloured with viridis (NaN grey),
/// the true position boxed in white, the best-scoring position crossed in red, and a title per panel (metric,
/// centre, best offset) over the score range.
/// </summary>
public static class SimilarityMapRenderer
{
    private const int Margin = 12;
    private const int TitleHeight = 40;
    private const int FooterHeight = 22;
    private const int LegendHeight = 22;

    private static readonly string[] _fontCandidates =
    [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/lato/Lato-Regular.ttf",
        "/usr/share/fonts/TTF/DejaVuSans.ttf",
        "/System/Library/Fonts/Supplemental/Arial.ttf",
        "/Library/Fonts/Arial.ttf",
        "C:\\Windows\\Fonts\\arial.ttf",
        "C:\\Windows\\Fonts\\segoeui.ttf",
    ];

    /// <summary>
    /// Writes the maps into one PNG. The file is written to a temporary file in the same folder and then renamed,
    /// so a reader never sees a half-written image.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The target folder does not exist.</exception>
    public static RenderedPng WritePng(IReadOnlyList<SimilarityMap> maps, string path, SimilarityMapRenderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(maps);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (maps.Count == 0)
        {
            throw new ArgumentException("At least one similarity map is needed.", nameof(maps));
        }

        options ??= new SimilarityMapRenderOptions();
        var fullPath = System.IO.Path.GetFullPath(path);
        var folder = System.IO.Path.GetDirectoryName(fullPath)!;
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"Cannot write '{fullPath}': the folder '{folder}' does not exist.");
        }

        var maxWidth = maps.Max(m => m.Width);
        var cell = options.CellSize ?? Math.Max(1, (int)Math.Ceiling(240.0 / maxWidth));
        ArgumentOutOfRangeException.ThrowIfLessThan(cell, 1);
        var panel = Math.Max(maxWidth * cell, 160);
        var columns = Math.Clamp(options.Columns ?? maps.Count, 1, maps.Count);
        var rows = (maps.Count + columns - 1) / columns;
        var width = Margin + (columns * (panel + Margin));
        var height = Margin + (rows * (TitleHeight + panel + FooterHeight + Margin)) + LegendHeight;

        using var typeface = ResolveTypeface(options.FontPath);
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul))
            ?? throw new InvalidOperationException($"SkiaSharp could not allocate a {width}x{height} drawing surface.");
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        using var titleFont = typeface is null ? null : new SKFont(typeface, 14);
        using var smallFont = typeface is null ? null : new SKFont(typeface, 11);
        using var textPaint = new SKPaint { Color = SKColors.Black, IsAntialias = true };

        for (var i = 0; i < maps.Count; i++)
        {
            var left = Margin + (i % columns * (panel + Margin));
            var top = Margin + (i / columns * (TitleHeight + panel + FooterHeight + Margin));
            DrawPanel(canvas, maps[i], left, top + TitleHeight, panel, titleFont, smallFont, textPaint, top);
        }

        DrawLegend(canvas, height - LegendHeight, smallFont, textPaint);
        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException("SkiaSharp could not encode the PNG.");
        DeepSim.IO.AtomicFile.Write(fullPath, data.SaveTo);

        return new RenderedPng(fullPath, width, height, typeface is not null);
    }

    private static void DrawPanel(SKCanvas canvas, SimilarityMap map, int left, int top, int panel, SKFont? titleFont, SKFont? smallFont, SKPaint textPaint, int titleTop)
    {
        var w = map.Width;
        var cell = panel / (double)w;
        var scores = map.ScoreSpan;
        var min = float.PositiveInfinity;
        var max = float.NegativeInfinity;
        foreach (var s in scores)
        {
            if (float.IsFinite(s))
            {
                min = Math.Min(min, s);
                max = Math.Max(max, s);
            }
        }

        using var bitmap = new SKBitmap(new SKImageInfo(w, w, SKColorType.Rgba8888, SKAlphaType.Premul));
        for (var row = 0; row < w; row++)
        {
            for (var col = 0; col < w; col++)
            {
                var s = scores[(row * w) + col];
                SKColor colour;
                if (!float.IsFinite(s))
                {
                    colour = new SKColor(128, 128, 128);
                }
                else
                {
                    var t = max > min ? (s - min) / (double)(max - min) : 0.5;
                    var (r, g, b) = Viridis.Map(t);
                    colour = new SKColor(r, g, b);
                }

                bitmap.SetPixel(col, row, colour);
            }
        }

        using (var cellImage = SKImage.FromBitmap(bitmap))
        {
            canvas.DrawImage(cellImage, new SKRect(left, top, left + panel, top + panel), new SKSamplingOptions(SKFilterMode.Nearest));
        }

        float CentreX(int dx) => (float)(left + ((dx + map.Radius + 0.5) * cell));
        float CentreY(int dy) => (float)(top + ((dy + map.Radius + 0.5) * cell));

        if (map.TrueOffset is { } truth)
        {
            var half = (float)Math.Max(4, cell * 1.5);
            var rect = new SKRect(CentreX(truth.Dx) - half, CentreY(truth.Dy) - half, CentreX(truth.Dx) + half, CentreY(truth.Dy) + half);
            using var outline = new SKPaint { Color = SKColors.Black, Style = SKPaintStyle.Stroke, StrokeWidth = 4, IsAntialias = true };
            using var box = new SKPaint { Color = SKColors.White, Style = SKPaintStyle.Stroke, StrokeWidth = 2, IsAntialias = true };
            canvas.DrawRect(rect, outline);
            canvas.DrawRect(rect, box);
        }

        DrawCross(canvas, CentreX(map.BestOffset.Dx), CentreY(map.BestOffset.Dy), (float)Math.Max(5, cell * 2));

        using var frame = new SKPaint { Color = SKColors.Black, Style = SKPaintStyle.Stroke, StrokeWidth = 1 };
        canvas.DrawRect(new SKRect(left - 0.5f, top - 0.5f, left + panel + 0.5f, top + panel + 0.5f), frame);

        if (titleFont is not null && smallFont is not null)
        {
            canvas.DrawText(map.Metric, left, titleTop + 15, SKTextAlign.Left, titleFont, textPaint);
            var subtitle = $"centre {map.Center}  best {map.BestOffset}" + (map.TrueOffset is { } t ? $"  true {t}" : string.Empty);
            canvas.DrawText(subtitle, left, titleTop + 32, SKTextAlign.Left, smallFont, textPaint);
            var range = string.Create(CultureInfo.InvariantCulture, $"min {min:G4}  max {max:G4}  (+-{map.Radius} px)");
            canvas.DrawText(range, left, top + panel + 15, SKTextAlign.Left, smallFont, textPaint);
        }
    }

    private static void DrawCross(SKCanvas canvas, float x, float y, float half)
    {
        using var outline = new SKPaint { Color = SKColors.Black, StrokeWidth = 4, IsAntialias = true, StrokeCap = SKStrokeCap.Round };
        using var cross = new SKPaint { Color = new SKColor(230, 30, 30), StrokeWidth = 2, IsAntialias = true, StrokeCap = SKStrokeCap.Round };
        foreach (var paint in new[] { outline, cross })
        {
            canvas.DrawLine(x - half, y - half, x + half, y + half, paint);
            canvas.DrawLine(x - half, y + half, x + half, y - half, paint);
        }
    }

    private static void DrawLegend(SKCanvas canvas, int top, SKFont? font, SKPaint textPaint)
    {
        var y = top + 8;
        using var box = new SKPaint { Color = SKColors.Black, Style = SKPaintStyle.Stroke, StrokeWidth = 2 };
        canvas.DrawRect(new SKRect(Margin, y - 5, Margin + 10, y + 5), box);
        DrawCross(canvas, Margin + 105, y, 5);
        if (font is not null)
        {
            canvas.DrawText("true position", Margin + 16, y + 4, SKTextAlign.Left, font, textPaint);
            canvas.DrawText("best score (colour: viridis, low to high, per panel)", Margin + 116, y + 4, SKTextAlign.Left, font, textPaint);
        }
    }

    private static SKTypeface? ResolveTypeface(string? fontPath)
    {
        if (fontPath is not null)
        {
            return SKTypeface.FromFile(fontPath) ?? throw new FileNotFoundException($"Cannot load the font '{fontPath}'.", fontPath);
        }

        foreach (var family in new[] { "DejaVu Sans", "Liberation Sans", "Arial", "Helvetica", "Segoe UI" })
        {
            var typeface = SKFontManager.Default.MatchFamily(family);
            if (typeface is { GlyphCount: > 0 })
            {
                return typeface;
            }

            typeface?.Dispose();
        }

        foreach (var candidate in _fontCandidates)
        {
            if (File.Exists(candidate))
            {
                var typeface = SKTypeface.FromFile(candidate);
                if (typeface is { GlyphCount: > 0 })
                {
                    return typeface;
                }

                typeface?.Dispose();
            }
        }

        return null;
    }
}
