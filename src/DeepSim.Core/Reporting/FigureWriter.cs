using ScottPlot;
using SkiaSharp;

namespace DeepSim.Reporting;

/// <summary>
/// Lays ScottPlot panels side by side under a figure title in one PNG and writes it atomically (a temporary file in the
/// destination folder, then a rename over the destination). Rendering is deterministic: the same input gives the same
/// bytes on the same machine. When no system font is found, SkiaSharp's default typeface is used, so text may be
/// missing but nothing throws.
/// </summary>
internal static class FigureWriter
{
    private const float TitleBand = 44;
    private const float TitleSize = 22;

    /// <summary>Renders the panels left to right (equal widths) below <paramref name="title"/> and writes the PNG.</summary>
    /// <param name="path">Destination file.</param>
    /// <param name="title">Figure title; empty for none.</param>
    /// <param name="width">Figure width in pixels.</param>
    /// <param name="height">Figure height in pixels.</param>
    /// <param name="panels">The panels, left to right.</param>
    /// <param name="weights">Relative panel widths (null for equal widths).</param>
    public static void WritePng(string path, string title, int width, int height, IReadOnlyList<Plot> panels, IReadOnlyList<double>? weights = null)
    {
        var bytes = RenderPng(title, width, height, panels, weights);
        WriteAtomically(path, bytes);
    }

    /// <summary>The figure as PNG bytes.</summary>
    public static byte[] RenderPng(string title, int width, int height, IReadOnlyList<Plot> panels, IReadOnlyList<double>? weights = null)
    {
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var surface = SKSurface.Create(info) ?? throw new InvalidOperationException($"SkiaSharp cannot create a {width}x{height} surface.");
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        var top = string.IsNullOrWhiteSpace(title) ? 0 : TitleBand;
        if (top > 0)
        {
            DrawTitle(canvas, title, width);
        }

        var shares = weights ?? [.. panels.Select(_ => 1.0)];
        var total = shares.Sum();
        var start = 0.0;
        for (var i = 0; i < panels.Count; i++)
        {
            var left = (float)Math.Round(width * start / total);
            start += shares[i];
            var right = (float)Math.Round(width * start / total);
            canvas.Save();
            canvas.ClipRect(new SKRect(left, top, right, height));
            panels[i].Render(canvas, new PixelRect(left, right, height, top));
            canvas.Restore();
        }

        using var image = surface.Snapshot();
        using var data = image.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>Writes bytes to a temporary file next to <paramref name="path"/> and moves it over the destination.</summary>
    public static void WriteAtomically(string path, byte[] bytes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' has no folder.", nameof(path));
        Directory.CreateDirectory(folder);
        IO.AtomicFile.WriteAllBytes(full, bytes);
    }

    /// <summary>Checks the requested figure size (each side 100 to 10,000 pixels).</summary>
    public static void ValidateSize(int width, int height)
    {
        if (width < 100 || width > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(width), width, "The figure width must be 100 to 10,000 pixels.");
        }

        if (height < 100 || height > 10_000)
        {
            throw new ArgumentOutOfRangeException(nameof(height), height, "The figure height must be 100 to 10,000 pixels.");
        }
    }

    private static void DrawTitle(SKCanvas canvas, string title, int width)
    {
        using var typeface = SKFontManager.Default.MatchFamily(PanelStyle.SansFont() ?? Fonts.Default, SKFontStyle.Bold) ?? SKTypeface.CreateDefault();
        using var font = new SKFont(typeface, TitleSize) { Edging = SKFontEdging.Antialias, Subpixel = true };
        using var paint = new SKPaint { Color = new SKColor(0x22, 0x22, 0x22), IsAntialias = true };
        var textWidth = font.MeasureText(title);
        var size = TitleSize;
        if (textWidth > width - 20 && textWidth > 0)
        {
            size = TitleSize * (width - 20) / textWidth;
            font.Size = size;
            textWidth = font.MeasureText(title);
        }

        canvas.DrawText(title, (width - textWidth) / 2, (TitleBand / 2) + (size * 0.35f), SKTextAlign.Left, font, paint);
    }
}
