using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepSim.Learning;

/// <summary>
/// Reads and writes DeepSim model files: one file holding a model's weights and metadata.
/// Layout (little-endian): "DSIM", uint32 format version, uint32 kind (1 similarity model, 2 SDAE, 3 two-branch CNN
/// similarity, version 2 and later; 4 two-channel CNN similarity, version 7 and later), uint32 reserved,
/// uint64 total file length, uint32 metadata length, UTF-8 JSON metadata (options, sizes, history ...), uint32 block
/// count, then per weight block a uint32 float count and the raw float32 values, and finally the SHA-256 of everything
/// before it. Writes are atomic: a temporary file in the same folder is flushed and renamed over the target.
/// </summary>
public static class ModelFile
{
    /// <summary>
    /// The format version this build writes and the newest it reads. Version 2 added the two-branch CNN kind; version 3
    /// its input normalisation (a version 2 CNN file is read as <see cref="FeatureInputNormalization.ImageRange"/>, what
    /// it was trained with); version 4 the CNN's score anchor (older CNN files load with none: cosine only); version 5 the 3D CNN
    /// (<see cref="FeatureTrainingOptions.Dimensions"/>; older CNN files are 2D); version 6 the CNN's context view (older
    /// CNN files load without one); version 7 the two-channel CNN kind (<see cref="TwoChannelSimilarityModel"/>); version 1
    /// files (fully connected similarity models and SDAEs) still load.
    /// </summary>
    public const int CurrentVersion = 7;

    /// <summary>The customary file extension.</summary>
    public const string Extension = ".dsim";

    private const int HeaderLength = 24;
    private const int HashLength = 32;
    private static readonly byte[] Magic = "DSIM"u8.ToArray();

    private static readonly JsonSerializerOptions Json = new()
    {
        Converters = { new JsonStringEnumConverter() },
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = false,
    };

    /// <summary>What a model file holds.</summary>
    public enum ModelKind
    {
        /// <summary>A <see cref="SimilarityModel"/>.</summary>
        Similarity = 1,

        /// <summary>An <see cref="SdaeModel"/>.</summary>
        Sdae = 2,

        /// <summary>A <see cref="FeatureSimilarityModel"/> (two-branch CNN; format version 2 and later).</summary>
        FeatureSimilarity = 3,

        /// <summary>A <see cref="TwoChannelSimilarityModel"/> (two-channel CNN on the stacked patches; format version 7 and later).</summary>
        TwoChannelSimilarity = 4,
    }

    /// <summary>Writes a similarity model to <paramref name="path"/> (replacing it atomically).</summary>
    public static void Save(SimilarityModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        var meta = new SimilarityMetadata(
            model.Name, model.PatchSize, model.Normalization, model.Activation, model.Options, [.. model.History],
            model.BestEpoch, model.Pretrained, model.TrainingPairCount, model.CreatedUtc,
            [.. model.Layers.Select(l => new[] { l.Outputs, l.Inputs })]);
        var blocks = model.Layers.SelectMany(l => new[] { l.Weights, l.Bias });
        Write(path, ModelKind.Similarity, JsonSerializer.SerializeToUtf8Bytes(meta, Json), blocks);
    }

    /// <summary>Writes an SDAE to <paramref name="path"/> (replacing it atomically).</summary>
    public static void Save(SdaeModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        var meta = new SdaeMetadata(
            model.PatchSize, model.Normalization, model.Options, model.TrainingPairCount, model.CreatedUtc,
            [.. model.Autoencoders.Select(a => new SdaeAutoencoderMetadata(
                a.Level, a.Name, a.Encoder.Outputs, a.Encoder.Inputs, a.LinearDecoder, a.EpochReconstructionErrors, a.ReconstructionError, a.MeanHiddenActivation))]);
        var blocks = model.Autoencoders.SelectMany(a => new[] { a.Encoder.Weights, a.Encoder.Bias, a.Decoder.Weights, a.Decoder.Bias });
        Write(path, ModelKind.Sdae, JsonSerializer.SerializeToUtf8Bytes(meta, Json), blocks);
    }

    /// <summary>Writes a two-branch CNN similarity model to <paramref name="path"/> (replacing it atomically).</summary>
    public static void Save(FeatureSimilarityModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        var meta = new FeatureMetadata(
            model.Name, model.PatchSize, model.Options, [.. model.History], model.TrainingImageCount, model.CreatedUtc,
            [.. model.FixedLayers.Select(LayerShape)], [.. model.MovingLayers.Select(LayerShape)], model.AnchorWeight,
            [.. model.FixedContextLayers.Select(LayerShape)], [.. model.MovingContextLayers.Select(LayerShape)], model.ContextWeight);
        var blocks = model.FixedLayers.Concat(model.MovingLayers).Concat(model.FixedContextLayers).Concat(model.MovingContextLayers).SelectMany(l => new[] { l.Weights, l.Bias });
        Write(path, ModelKind.FeatureSimilarity, JsonSerializer.SerializeToUtf8Bytes(meta, Json), blocks);
    }

    /// <summary>Writes a two-channel CNN similarity model to <paramref name="path"/> (replacing it atomically).</summary>
    public static void Save(TwoChannelSimilarityModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        var meta = new TwoChannelMetadata(
            model.Name, model.Options, [.. model.History], model.TrainingImageCount, model.CreatedUtc,
            [.. model.Convolutions.Select(LayerShape)], [.. model.Dense.Select(l => new[] { l.Outputs, l.Inputs })]);
        var blocks = model.Convolutions.SelectMany(l => new[] { l.Weights, l.Bias }).Concat(model.Dense.SelectMany(l => new[] { l.Weights, l.Bias }));
        Write(path, ModelKind.TwoChannelSimilarity, JsonSerializer.SerializeToUtf8Bytes(meta, Json), blocks);
    }

    /// <summary>Writes any kind of model.</summary>
    public static void Save(object model, string path)
    {
        switch (model)
        {
            case SimilarityModel s:
                Save(s, path);
                break;
            case SdaeModel a:
                Save(a, path);
                break;
            case FeatureSimilarityModel c:
                Save(c, path);
                break;
            case TwoChannelSimilarityModel t:
                Save(t, path);
                break;
            default:
                throw new ArgumentException($"Cannot save a {model?.GetType().Name ?? "null"}: only SimilarityModel, FeatureSimilarityModel, TwoChannelSimilarityModel and SdaeModel are model files.", nameof(model));
        }
    }

    /// <summary>Reads a model file: a <see cref="SimilarityModel"/>, a <see cref="FeatureSimilarityModel"/>, a <see cref="TwoChannelSimilarityModel"/> or an <see cref="SdaeModel"/>.</summary>
    /// <exception cref="ModelFileException">The file is not a readable model file; its Error says why.</exception>
    public static object Load(string path)
    {
        var (kind, version, meta, blocks) = Read(path);
        return Build(kind, version, meta, blocks, path);
    }

    private static object Build(ModelKind kind, int version, byte[] meta, List<float[]> blocks, string path)
    {
        try
        {
            return kind switch
            {
                ModelKind.Similarity => BuildSimilarity(meta, blocks),
                ModelKind.FeatureSimilarity => BuildFeature(meta, blocks, version),
                ModelKind.TwoChannelSimilarity => BuildTwoChannel(meta, blocks),
                _ => BuildSdae(meta, blocks),
            };
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or NotSupportedException or IndexOutOfRangeException)
        {
            throw new ModelFileException(ModelFileError.Corrupt, path, $"the metadata or weights are inconsistent: {e.Message}", e);
        }
    }

    /// <summary>Reads a learned metric (either kind of similarity model); <see cref="ModelFileError.WrongKind"/> if the file holds an SDAE.</summary>
    public static DeepSim.Similarity.ISimilarityMetric LoadMetric(string path) =>
        Load(path) as DeepSim.Similarity.ISimilarityMetric ?? throw new ModelFileException(ModelFileError.WrongKind, path, "the file holds an SDAE (pre-training) model, not a similarity model; train one with Invoke-SimilarityTraining.");

    /// <summary>Reads a similarity model; <see cref="ModelFileError.WrongKind"/> if the file holds an SDAE.</summary>
    public static SimilarityModel LoadSimilarityModel(string path) =>
        Load(path) switch
        {
            SimilarityModel m => m,
            FeatureSimilarityModel => throw new ModelFileException(ModelFileError.WrongKind, path, "the file holds a two-branch CNN similarity model, not a fully connected one; read it with LoadMetric or Load."),
            TwoChannelSimilarityModel => throw new ModelFileException(ModelFileError.WrongKind, path, "the file holds a two-channel CNN similarity model, not a fully connected one; read it with LoadMetric or Load."),
            _ => throw new ModelFileException(ModelFileError.WrongKind, path, "the file holds an SDAE (pre-training) model, not a similarity model; train one with Invoke-SimilarityTraining."),
        };

    /// <summary>Reads an SDAE; <see cref="ModelFileError.WrongKind"/> if the file holds a similarity model.</summary>
    public static SdaeModel LoadSdaeModel(string path) =>
        Load(path) as SdaeModel ?? throw new ModelFileException(ModelFileError.WrongKind, path, "the file holds a similarity model, not an SDAE (pre-training) model.");

    private static void Write(string path, ModelKind kind, byte[] metadata, IEnumerable<float[]> blocks)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = System.IO.Path.GetFullPath(path);
        var blockList = blocks.ToList();
        long length = HeaderLength + 4 + metadata.Length + 4 + blockList.Sum(b => 4L + (4L * b.Length)) + HashLength;
        using var buffer = new MemoryStream((int)length);
        Span<byte> word = stackalloc byte[8];
        buffer.Write(Magic);
        WriteUInt32(buffer, CurrentVersion);
        WriteUInt32(buffer, (uint)kind);
        WriteUInt32(buffer, 0);
        BinaryPrimitives.WriteUInt64LittleEndian(word, (ulong)length);
        buffer.Write(word);
        WriteUInt32(buffer, (uint)metadata.Length);
        buffer.Write(metadata);
        WriteUInt32(buffer, (uint)blockList.Count);
        foreach (var block in blockList)
        {
            WriteUInt32(buffer, (uint)block.Length);
            var bytes = new byte[block.Length * 4];
            for (var i = 0; i < block.Length; i++)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4, 4), block[i]);
            }

            buffer.Write(bytes);
        }

        var content = buffer.GetBuffer().AsSpan(0, (int)buffer.Length);
        var hash = SHA256.HashData(content);
        buffer.Write(hash);

        var folder = System.IO.Path.GetDirectoryName(full) ?? ".";
        Directory.CreateDirectory(folder);
        DeepSim.IO.AtomicFile.WriteAllBytes(full, buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    private static void WriteUInt32(Stream s, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        s.Write(b);
    }

    private static (ModelKind Kind, int Version, byte[] Metadata, List<float[]> Blocks) Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = System.IO.Path.GetFullPath(path);
        var bytes = File.ReadAllBytes(full);
        var magicLength = Math.Min(bytes.Length, Magic.Length);
        if (!bytes.AsSpan(0, magicLength).SequenceEqual(Magic.AsSpan(0, magicLength)) || bytes.Length == 0)
        {
            throw new ModelFileException(ModelFileError.NotAModelFile, full, "not a DeepSim model file (it does not start with 'DSIM').");
        }

        if (bytes.Length < HeaderLength)
        {
            throw new ModelFileException(ModelFileError.Truncated, full, $"the file is cut short ({bytes.Length} bytes, shorter than the {HeaderLength}-byte header).");
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4));
        if (version is 0 or > CurrentVersion)
        {
            throw new ModelFileException(ModelFileError.UnsupportedVersion, full, $"model format version {version} is not supported by this DeepSim (it reads versions 1 to {CurrentVersion}); update DeepSim.");
        }

        var declared = BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16));
        if ((ulong)bytes.Length < declared)
        {
            throw new ModelFileException(ModelFileError.Truncated, full, $"the file is cut short: {bytes.Length} of {declared} bytes.");
        }

        if ((ulong)bytes.Length > declared)
        {
            throw new ModelFileException(ModelFileError.Corrupt, full, $"the file has {bytes.Length - (long)declared} unexpected bytes after its end.");
        }

        var body = bytes.AsSpan(0, bytes.Length - HashLength);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - HashLength)))
        {
            throw new ModelFileException(ModelFileError.ChecksumMismatch, full, "the content does not match its SHA-256 checksum: the file is damaged.");
        }

        var kindValue = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        if (kindValue is not ((uint)ModelKind.Similarity or (uint)ModelKind.Sdae or (uint)ModelKind.FeatureSimilarity or (uint)ModelKind.TwoChannelSimilarity)
            || (kindValue == (uint)ModelKind.FeatureSimilarity && version < 2)
            || (kindValue == (uint)ModelKind.TwoChannelSimilarity && version < 7))
        {
            throw new ModelFileException(ModelFileError.WrongKind, full, $"unknown model kind {kindValue} in a version {version} file.");
        }

        // Every count and length is checked against the bytes that remain before anything is allocated: a hand-made file
        // with a recomputed checksum must give a ModelFile* error, never an OutOfMemoryException.
        var pos = HeaderLength;
        var metaLength = ReadCount(body, ref pos, 1, full, "metadata length");
        var meta = body.Slice(pos, metaLength).ToArray();
        pos += metaLength;
        var count = ReadCount(body, ref pos, 4, full, "weight block count");
        var blocks = new List<float[]>(count);
        for (var b = 0; b < count; b++)
        {
            var n = ReadCount(body, ref pos, 4, full, $"length of weight block {b}");
            var values = new float[n];
            var src = body.Slice(pos, n * 4);
            for (var i = 0; i < n; i++)
            {
                var v = BinaryPrimitives.ReadSingleLittleEndian(src.Slice(i * 4, 4));
                if (!float.IsFinite(v))
                {
                    throw new ModelFileException(ModelFileError.NonFiniteWeights, full, $"weight block {b} holds a non-finite value ({v.ToString(System.Globalization.CultureInfo.InvariantCulture)} at index {i}); a model with NaN or infinite weights scores every patch NaN, so it is refused.");
                }

                values[i] = v;
            }

            pos += n * 4;
            blocks.Add(values);
        }

        if (pos != body.Length)
        {
            throw new ModelFileException(ModelFileError.Corrupt, full, $"the weight blocks end at byte {pos} but the content ends at byte {body.Length}.");
        }

        return ((ModelKind)kindValue, (int)version, meta, blocks);
    }

    /// <summary>
    /// Reads a uint32 count at <paramref name="pos"/> and checks that count x <paramref name="unitBytes"/> bytes
    /// (at least) remain after it.
    /// </summary>
    private static int ReadCount(ReadOnlySpan<byte> body, ref int pos, int unitBytes, string path, string what)
    {
        if (pos + 4 > body.Length)
        {
            throw new ModelFileException(ModelFileError.Corrupt, path, $"the {what} lies past the end of the content (byte {pos} of {body.Length}).");
        }

        var value = BinaryPrimitives.ReadUInt32LittleEndian(body[pos..]);
        pos += 4;
        var remaining = body.Length - pos;
        if (value > (ulong)remaining / (ulong)unitBytes)
        {
            throw new ModelFileException(ModelFileError.Corrupt, path, $"the {what} is {value}, but only {remaining} bytes follow it.");
        }

        return (int)value;
    }

    private static SimilarityModel BuildSimilarity(byte[] metadata, List<float[]> blocks)
    {
        var meta = JsonSerializer.Deserialize<SimilarityMetadata>(metadata, Json) ?? throw new JsonException("empty metadata");
        Require(meta.Name is not null, "Name");
        Require(meta.Options is not null, "Options");
        Require(meta.History is not null && meta.History.All(h => h is not null), "History");
        Require(meta.LayerShapes is not null && meta.LayerShapes.Length > 0, "LayerShapes");
        Require(meta.PatchSize is > 0 and < 4096, "PatchSize");
        for (var i = 0; i < meta.LayerShapes.Length; i++)
        {
            var shape = meta.LayerShapes[i];
            Require(shape is { Length: 2 } && shape[0] > 0 && shape[1] > 0, $"LayerShapes[{i}]");
            if (2 * i + 1 < blocks.Count && ((long)shape[0] * shape[1] != blocks[2 * i].Length || shape[0] != blocks[(2 * i) + 1].Length))
            {
                throw new InvalidOperationException($"layer {i} is declared {shape[0]}x{shape[1]} but its weight blocks hold {blocks[2 * i].Length} weights and {blocks[(2 * i) + 1].Length} biases.");
            }
        }

        if (blocks.Count != 2 * meta.LayerShapes.Length)
        {
            throw new InvalidOperationException($"{meta.LayerShapes.Length} layers need {2 * meta.LayerShapes.Length} weight blocks, found {blocks.Count}.");
        }

        var layers = meta.LayerShapes.Select((s, i) => new DenseLayer(s[0], s[1], blocks[2 * i], blocks[(2 * i) + 1])).ToList();
        return new SimilarityModel(DeepSim.IO.MessageText.Clean(meta.Name), meta.PatchSize, meta.Normalization, meta.Activation, layers, meta.Options, meta.History,
            meta.BestEpoch, meta.Pretrained, meta.TrainingPairCount, meta.CreatedUtc);
    }

    private static FeatureSimilarityModel BuildFeature(byte[] metadata, List<float[]> blocks, int version)
    {
        var meta = JsonSerializer.Deserialize<FeatureMetadata>(metadata, Json) ?? throw new JsonException("empty metadata");
        if (version < 3)
        {
            // Version 2 CNNs had no normalisation setting: they scaled by the image range.
            meta = meta with { Options = meta.Options with { Normalization = FeatureInputNormalization.ImageRange } };
        }

        if (version < 4)
        {
            // Before version 4 the score was the cosine alone.
            meta = meta with { Options = meta.Options with { Anchor = FeatureScoreAnchor.None }, AnchorWeight = 0 };
        }

        if (version < 6)
        {
            // Before version 6 there was no context view.
            meta = meta with { Options = meta.Options with { ContextScale = 0 }, FixedContextLayers = [], MovingContextLayers = [], ContextWeight = 0 };
        }

        Require(meta.FixedLayers is not null && meta.MovingLayers is not null, "FixedLayers/MovingLayers");
        var fixedContext = meta.FixedContextLayers ?? [];
        var movingContext = meta.MovingContextLayers ?? [];
        var shapes = meta.FixedLayers.Concat(meta.MovingLayers).Concat(fixedContext).Concat(movingContext).ToArray();
        if (blocks.Count != 2 * shapes.Length)
        {
            throw new InvalidOperationException($"{shapes.Length} convolutions need {2 * shapes.Length} weight blocks, found {blocks.Count}.");
        }

        if (version < 5 && meta.Options.Dimensions != 2)
        {
            // Version 5 added the 3D CNN; an older file that claims 3D was not written by DeepSim.
            throw new InvalidOperationException($"a format version {version} CNN is 2D, but the metadata says {meta.Options.Dimensions}D.");
        }

        var layers = shapes.Select((s, i) => new ConvLayer(s[0], s[1], s[2], s[3], blocks[2 * i], blocks[(2 * i) + 1], meta.Options.Dimensions)).ToList();
        var nFixed = meta.FixedLayers.Length;
        var nMoving = meta.MovingLayers.Length;
        var nFixedContext = fixedContext.Length;
        return new FeatureSimilarityModel(
            meta.Name, meta.PatchSize, layers.Take(nFixed).ToList(), layers.Skip(nFixed).Take(nMoving).ToList(), meta.Options, meta.History, meta.TrainingImageCount, meta.CreatedUtc, meta.AnchorWeight,
            layers.Skip(nFixed + nMoving).Take(nFixedContext).ToList(), layers.Skip(nFixed + nMoving + nFixedContext).ToList(), meta.ContextWeight);
    }

    private static TwoChannelSimilarityModel BuildTwoChannel(byte[] metadata, List<float[]> blocks)
    {
        var meta = JsonSerializer.Deserialize<TwoChannelMetadata>(metadata, Json) ?? throw new JsonException("empty metadata");
        Require(meta.Name is not null, "Name");
        Require(meta.Options is not null, "Options");
        Require(meta.History is not null && meta.History.All(h => h is not null), "History");
        Require(meta.Convolutions is not null && meta.Convolutions.All(c => c is { Length: 4 }), "Convolutions");
        Require(meta.Dense is not null && meta.Dense.All(d => d is { Length: 2 }), "Dense");
        var count = meta.Convolutions.Length + meta.Dense.Length;
        if (blocks.Count != 2 * count)
        {
            throw new InvalidOperationException($"{count} layers need {2 * count} weight blocks, found {blocks.Count}.");
        }

        var convolutions = meta.Convolutions.Select((c, i) => new ConvLayer(c[0], c[1], c[2], c[3], blocks[2 * i], blocks[(2 * i) + 1])).ToList();
        var offset = 2 * meta.Convolutions.Length;
        var dense = meta.Dense.Select((d, i) => new DenseLayer(d[0], d[1], blocks[offset + (2 * i)], blocks[offset + (2 * i) + 1])).ToList();
        return new TwoChannelSimilarityModel(DeepSim.IO.MessageText.Clean(meta.Name), convolutions, dense, meta.Options, meta.History, meta.TrainingImageCount, meta.CreatedUtc);
    }

    private static int[] LayerShape(ConvLayer l) => [l.Outputs, l.Inputs, l.Kernel, l.Dilation];

    private static SdaeModel BuildSdae(byte[] metadata, List<float[]> blocks)
    {
        var meta = JsonSerializer.Deserialize<SdaeMetadata>(metadata, Json) ?? throw new JsonException("empty metadata");
        Require(meta.Options is not null, "Options");
        Require(meta.Autoencoders is not null && meta.Autoencoders.Length > 0, "Autoencoders");
        Require(meta.PatchSize is > 0 and < 4096, "PatchSize");
        for (var i = 0; i < meta.Autoencoders.Length; i++)
        {
            var a = meta.Autoencoders[i];
            Require(a is not null && a.Name is not null && a.EpochReconstructionErrors is not null && a.Hidden > 0 && a.Inputs > 0, $"Autoencoders[{i}]");
        }

        if (blocks.Count != 4 * meta.Autoencoders.Length)
        {
            throw new InvalidOperationException($"{meta.Autoencoders.Length} autoencoders need {4 * meta.Autoencoders.Length} weight blocks, found {blocks.Count}.");
        }

        var aes = meta.Autoencoders.Select((a, i) => new SdaeAutoencoder(
            a.Level,
            DeepSim.IO.MessageText.Clean(a.Name),
            new DenseLayer(a.Hidden, a.Inputs, blocks[4 * i], blocks[(4 * i) + 1]),
            new DenseLayer(a.Inputs, a.Hidden, blocks[(4 * i) + 2], blocks[(4 * i) + 3]),
            a.LinearDecoder,
            a.EpochReconstructionErrors,
            a.ReconstructionError,
            a.MeanHiddenActivation)).ToList();
        return new SdaeModel(meta.PatchSize, meta.Normalization, meta.Options, aes, meta.TrainingPairCount, meta.CreatedUtc);
    }

    /// <summary>A metadata field that a hand-made file left out or set to nonsense: a Corrupt error naming it.</summary>
    private static void Require([System.Diagnostics.CodeAnalysis.DoesNotReturnIf(false)] bool ok, string field)
    {
        if (!ok)
        {
            throw new InvalidOperationException($"the metadata field {field} is missing or invalid.");
        }
    }

    private sealed record SimilarityMetadata(
        string Name,
        int PatchSize,
        InputNormalization Normalization,
        ActivationKind Activation,
        SimilarityTrainingOptions Options,
        TrainingEpoch[] History,
        int BestEpoch,
        bool Pretrained,
        int TrainingPairCount,
        DateTimeOffset CreatedUtc,
        int[][] LayerShapes);

    private sealed record FeatureMetadata(
        string Name,
        int PatchSize,
        FeatureTrainingOptions Options,
        TrainingEpoch[] History,
        int TrainingImageCount,
        DateTimeOffset CreatedUtc,
        int[][] FixedLayers,
        int[][] MovingLayers,
        double AnchorWeight = 0,
        int[][]? FixedContextLayers = null,
        int[][]? MovingContextLayers = null,
        double ContextWeight = 0);

    private sealed record TwoChannelMetadata(
        string Name,
        FeatureTrainingOptions Options,
        TrainingEpoch[] History,
        int TrainingImageCount,
        DateTimeOffset CreatedUtc,
        int[][] Convolutions,
        int[][] Dense);

    private sealed record SdaeAutoencoderMetadata(
        int Level,
        string Name,
        int Hidden,
        int Inputs,
        bool LinearDecoder,
        double[] EpochReconstructionErrors,
        double ReconstructionError,
        double MeanHiddenActivation);

    private sealed record SdaeMetadata(
        int PatchSize,
        InputNormalization Normalization,
        SdaeOptions Options,
        int TrainingPairCount,
        DateTimeOffset CreatedUtc,
        SdaeAutoencoderMetadata[] Autoencoders);
}
