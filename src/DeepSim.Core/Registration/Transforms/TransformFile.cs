using System.Globalization;
using System.Text;
using DeepSim.IO;

namespace DeepSim.Registration;

/// <summary>
/// ITK's transform text format (<c>.tfm</c>, "#Insight Transform File V1.0"), which ITK, SimpleITK, 3D Slicer and ANTs
/// read. Each transform is a block
/// <code>
/// #Transform 0
/// Transform: Euler2DTransform_double_2_2
/// Parameters: 0.1745 13 17
/// FixedParameters: 90 108
/// </code>
/// Supported classes: TranslationTransform, Euler2DTransform, Euler3DTransform, AffineTransform, BSplineTransform
/// (float or double, 2D or 3D) and CompositeTransform (a header block followed by its transforms in ITK's queue
/// order: the last one is applied first). Numbers are written in invariant culture with round-trip precision.
/// </summary>
public static class TransformFile
{
    /// <summary>The first line of every file.</summary>
    public const string Header = "#Insight Transform File V1.0";

    /// <summary>The file's text for a transform.</summary>
    public static string Format(IImageTransform transform)
    {
        ArgumentNullException.ThrowIfNull(transform);
        var sb = new StringBuilder();
        sb.Append(Header).Append('\n');
        var index = 0;
        if (transform is CompositeTransform composite)
        {
            sb.Append("#Transform 0\n").Append("Transform: ").Append(composite.ItkClassName).Append('\n');
            index = 1;
            foreach (var t in composite.Transforms)
            {
                AppendBlock(sb, index++, t);
            }
        }
        else
        {
            AppendBlock(sb, 0, transform);
        }

        return sb.ToString();
    }

    /// <summary>Writes the transform to <paramref name="path"/> (a temporary file renamed into place).</summary>
    public static void Save(IImageTransform transform, string path)
    {
        var text = Format(transform);
        AtomicFile.WriteAllBytes(path, Encoding.ASCII.GetBytes(text));
    }

    /// <summary>Reads a transform file.</summary>
    /// <exception cref="TransformFileException">The file is not a readable ITK transform file.</exception>
    public static IImageTransform Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TransformFileException(path, $"cannot be read: {e.Message}", e);
        }

        return Parse(text, path);
    }

    /// <summary>Parses the text of a transform file; <paramref name="source"/> names it in errors.</summary>
    public static IImageTransform Parse(string text, string source = "text")
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Replace("\r", string.Empty, StringComparison.Ordinal).Split('\n');
        if (lines.Length == 0 || !lines[0].Trim().StartsWith("#Insight Transform File", StringComparison.Ordinal))
        {
            throw new TransformFileException(source, $"does not start with '{Header}'.");
        }

        var blocks = new List<(string Class, double[]? Parameters, double[]? Fixed)>();
        string? cls = null;
        double[]? parameters = null;
        double[]? fixedParameters = null;
        for (var i = 1; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || (line.StartsWith('#') && !line.StartsWith("#Transform", StringComparison.Ordinal)))
            {
                continue;
            }

            if (line.StartsWith("#Transform", StringComparison.Ordinal))
            {
                if (cls is not null)
                {
                    blocks.Add((cls, parameters, fixedParameters));
                }

                (cls, parameters, fixedParameters) = (null, null, null);
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                throw new TransformFileException(source, $"line {i + 1} is not 'Key: value': '{line}'.");
            }

            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            switch (key)
            {
                case "Transform":
                    if (cls is not null)
                    {
                        blocks.Add((cls, parameters, fixedParameters));
                        (parameters, fixedParameters) = (null, null);
                    }

                    cls = value;
                    break;
                case "Parameters":
                    parameters = Numbers(value, source, i + 1);
                    break;
                case "FixedParameters":
                    fixedParameters = Numbers(value, source, i + 1);
                    break;
                default:
                    throw new TransformFileException(source, $"line {i + 1} has an unknown key '{key}'.");
            }
        }

        if (cls is not null)
        {
            blocks.Add((cls, parameters, fixedParameters));
        }

        if (blocks.Count == 0)
        {
            throw new TransformFileException(source, "holds no transform.");
        }

        if (blocks[0].Class.StartsWith("CompositeTransform_", StringComparison.Ordinal))
        {
            var parts = blocks.Skip(1).Select(b => Create(b.Class, b.Parameters, b.Fixed, source)).ToList();
            if (parts.Count == 0)
            {
                throw new TransformFileException(source, "holds a composite transform without components.");
            }

            try
            {
                return new CompositeTransform(parts);
            }
            catch (ArgumentException e)
            {
                throw new TransformFileException(source, e.Message, e);
            }
        }

        if (blocks.Count > 1)
        {
            throw new TransformFileException(source, $"holds {blocks.Count} transforms outside a CompositeTransform; DeepSim reads one transform (or one composite) per file.");
        }

        return Create(blocks[0].Class, blocks[0].Parameters, blocks[0].Fixed, source);
    }

    private static void AppendBlock(StringBuilder sb, int index, IImageTransform transform)
    {
        if (transform is not IParametricTransform p)
        {
            throw new ArgumentException($"{transform.GetType().Name} cannot be written to an ITK transform file.", nameof(transform));
        }

        sb.Append("#Transform ").Append(index.ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("Transform: ").Append(p.ItkClassName).Append('\n');
        sb.Append("Parameters: ").Append(Join(p.Parameters)).Append('\n');
        sb.Append("FixedParameters: ").Append(Join(p.FixedParameters)).Append('\n');
    }

    private static string Join(double[] values) => string.Join(' ', values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));

    private static double[] Numbers(string value, string source, int line)
    {
        var parts = value.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        var result = new double[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out result[i]) || !double.IsFinite(result[i]))
            {
                throw new TransformFileException(source, $"line {line}: '{parts[i]}' is not a finite number.");
            }
        }

        return result;
    }

    private static IImageTransform Create(string cls, double[]? parameters, double[]? fixedParameters, string source)
    {
        var p = parameters ?? throw new TransformFileException(source, $"transform {cls} has no Parameters line.");
        var f = fixedParameters ?? [];
        var parts = cls.Split('_');
        var name = parts[0];
        var dim = parts.Length >= 3 && int.TryParse(parts[^1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var dd) ? dd : -1;
        try
        {
            switch (name)
            {
                case "TranslationTransform" when dim is 2 or 3:
                    Expect(p.Length == dim, source, cls, $"{dim} parameters");
                    return new TranslationTransform(p);
                case "Euler2DTransform" or "Rigid2DTransform":
                    Expect(p.Length == 3 && f.Length == 2, source, cls, "3 parameters and 2 fixed parameters");
                    return new Euler2DTransform(p[0], [p[1], p[2]], f);
                case "Euler3DTransform":
                    Expect(p.Length == 6 && f.Length is 3 or 4, source, cls, "6 parameters and 3 or 4 fixed parameters");
                    return new Euler3DTransform([p[0], p[1], p[2]], [p[3], p[4], p[5]], [f[0], f[1], f[2]], f.Length == 4 && f[3] != 0);
                case "AffineTransform" or "MatrixOffsetTransformBase" when dim is 2 or 3:
                    Expect(p.Length == (dim * dim) + dim && f.Length == dim, source, cls, $"{(dim * dim) + dim} parameters and {dim} fixed parameters");
                    return new AffineTransform(p[..(dim * dim)], p[(dim * dim)..], f);
                case "BSplineTransform" when dim is 2 or 3:
                    {
                        Expect(f.Length == dim + dim + dim + (dim * dim), source, cls, $"{(3 * dim) + (dim * dim)} fixed parameters (size, origin, spacing, direction)");
                        var size = f[..dim].Select(v => (int)Math.Round(v)).ToArray();
                        var count = dim * size.Aggregate(1L, (a, b) => a * b);
                        Expect(p.LongLength == count, source, cls, $"{count} parameters for a {string.Join("x", size)} grid");
                        return new BSplineTransform(size, f[dim..(2 * dim)], f[(2 * dim)..(3 * dim)], f[(3 * dim)..], p);
                    }

                default:
                    throw new TransformFileException(source, $"holds a {cls}, which DeepSim does not read (supported: TranslationTransform, Euler2DTransform, Euler3DTransform, AffineTransform, BSplineTransform, CompositeTransform; 2D or 3D).");
            }
        }
        catch (ArgumentException e)
        {
            throw new TransformFileException(source, $"{cls}: {e.Message}", e);
        }
    }

    private static void Expect(bool condition, string source, string cls, string what)
    {
        if (!condition)
        {
            throw new TransformFileException(source, $"{cls} needs {what}.");
        }
    }
}

/// <summary>A transform file could not be read.</summary>
public sealed class TransformFileException : Exception
{
    /// <summary>Creates the exception.</summary>
    public TransformFileException(string path, string message, Exception? inner = null)
        : base($"Transform file '{path}' {message}", inner) => Path = path;

    /// <summary>The file (or "text").</summary>
    public string Path { get; }
}
