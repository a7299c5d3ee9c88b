using System.Buffers.Binary;
using System.Text;
using DeepSim.Imaging;
using DeepSim.Imaging.Formats;
using Xunit;

namespace DeepSim.Tests.Imaging;

/// <summary>
/// Seeded mutation fuzzing: damaged versions of valid files must either read or fail with an
/// <see cref="ImageReadException"/> naming the file, never with another exception, a hang or a huge allocation.
/// </summary>
public class FuzzedInputTests
{
    private const int MutantsPerSeed = 300;

    public static TheoryData<string> Seeds() => ["png", "png-adam7-palette", "png-rgba16", "nii", "nii-big-endian", "nii.gz", "mha", "mhd+zraw"];

    /// <summary>
    /// The fuzzing seed of a kind: a fixed function of its name (string.GetHashCode is randomised per process, so a
    /// seed made from it gave other mutants on every run and a failure could not be reproduced).
    /// </summary>
    public static int StableSeed(string kind)
    {
        var h = 2166136261u; // FNV-1a
        foreach (var c in kind)
        {
            h = (h ^ c) * 16777619u;
        }

        return (int)(h & 0x7FFFFFFF) ^ 12345;
    }

    /// <summary>
    /// One seed per kind in the suite; DEEPSIM_FUZZ_SEEDS=N explores N consecutive seeds per kind (a longer search
    /// for a developer; every failure names its seed and mutant, so it can be replayed).
    /// </summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public void DamagedFilesFailCleanly(string kind)
    {
        var rounds = int.TryParse(Environment.GetEnvironmentVariable("DEEPSIM_FUZZ_SEEDS"), out var n) && n > 0 ? n : 1;
        for (var round = 0; round < rounds; round++)
        {
            FuzzOneSeed(kind, StableSeed(kind) + round);
        }
    }

    /// <summary>Seeds whose mutants once escaped as another exception: they stay in the suite.</summary>
    [Theory]
    [InlineData("png-rgba16", 150527420)] // mutant 216: zlib's ZLibException ("unexpected error code") escaped the PNG reader
    public void SeedsThatFoundABugStayFixed(string kind, int seed) => FuzzOneSeed(kind, seed);

    private static void FuzzOneSeed(string kind, int seed)
    {
        using var temp = new TempFolder();
        var (name, original, extra) = MakeSeed(kind, temp);
        var rng = new Random(seed);
        var reader = ImageLoader.CreateDefault();
        var path = temp.File(name);
        var outcomes = new Dictionary<string, int>();
        for (var m = 0; m < MutantsPerSeed; m++)
        {
            var mutant = Mutate(original, rng, fixPngCrc: kind.StartsWith("png", StringComparison.Ordinal) && m % 2 == 0);
            if (extra is (string extraName, byte[] extraBytes))
            {
                // For a header + data pair, damage the header or the data.
                if (m % 2 == 0)
                {
                    File.WriteAllBytes(path, mutant);
                    File.WriteAllBytes(temp.File(extraName), extraBytes);
                }
                else
                {
                    File.WriteAllBytes(path, original);
                    File.WriteAllBytes(temp.File(extraName), Mutate(extraBytes, rng, false));
                }
            }
            else
            {
                File.WriteAllBytes(path, mutant);
            }

            string outcome;
            var before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                var r = reader.SelectReader(path);
                var images = r.Read(path);
                Assert.True(images.Count > 0, $"mutant {m} of {kind}, seed {seed}: read no image and no error");
                outcome = "read";
            }
            catch (ImageReadException e)
            {
                Assert.True(e.Message.Contains(path, StringComparison.Ordinal), $"mutant {m} of {kind}, seed {seed}: the error does not name the file: {e.Message}");
                outcome = e.Error.ToString();
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                throw new Xunit.Sdk.XunitException($"mutant {m} of {kind}, seed {seed}: {e.GetType().Name} instead of an ImageReadException: {e}");
            }

            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(allocated < 64L << 20, $"mutant {m} of {kind}, seed {seed} allocated {allocated} bytes");
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
        }

        // The fuzzing must reach both outcomes, or it tests nothing.
        Assert.True(outcomes.Count > 1, $"seed {seed}: " + string.Join(", ", outcomes.Select(kv => $"{kv.Key}={kv.Value}")));
    }

    private static byte[] Mutate(byte[] original, Random rng, bool fixPngCrc)
    {
        var bytes = (byte[])original.Clone();
        switch (rng.Next(5))
        {
            case 0:
                return bytes[..rng.Next(bytes.Length)];
            case 1:
                var flips = 1 + rng.Next(4);
                for (var i = 0; i < flips; i++)
                {
                    bytes[rng.Next(bytes.Length)] ^= (byte)(1 << rng.Next(8));
                }

                break;
            case 2:
                // Damage the first 400 bytes, where every header lives.
                for (var i = 0; i < 3; i++)
                {
                    bytes[rng.Next(Math.Min(400, bytes.Length))] = (byte)rng.Next(256);
                }

                break;
            case 3:
                var at = rng.Next(Math.Min(400, bytes.Length));
                var value = rng.Next(4) switch
                {
                    0 => 0,
                    1 => 0xFF,
                    2 => 0x7F,
                    _ => 0x80,
                };
                for (var i = at; i < Math.Min(bytes.Length, at + 4); i++)
                {
                    bytes[i] = (byte)value;
                }

                break;
            default:
                var insert = new byte[1 + rng.Next(16)];
                rng.NextBytes(insert);
                var pos = rng.Next(bytes.Length);
                bytes = [.. bytes[..pos], .. insert, .. bytes[pos..]];
                break;
        }

        if (fixPngCrc)
        {
            FixAllPngCrcs(bytes);
        }

        return bytes;
    }

    private static void FixAllPngCrcs(byte[] bytes)
    {
        var pos = 8L;
        while (pos + 12 <= bytes.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan((int)pos));
            if (pos + 12 + length > bytes.Length)
            {
                return;
            }

            BinaryPrimitives.WriteUInt32BigEndian(bytes.AsSpan((int)(pos + 8 + length)), Crc32.Compute(bytes.AsSpan((int)pos + 4, (int)length + 4)));
            pos += 12 + length;
        }
    }

    private static (string Name, byte[] Bytes, (string, byte[])? Extra) MakeSeed(string kind, TempFolder temp)
    {
        switch (kind)
        {
            case "png":
                return ("f.png", PngReaderTests.RandomImage(24, 17, 0, 16, false, 1).Encode(), null);
            case "png-adam7-palette":
                return ("f.png", PngReaderTests.RandomImage(19, 21, 3, 4, true, 2).Encode(), null);
            case "png-rgba16":
                return ("f.png", PngReaderTests.RandomImage(9, 7, 6, 16, true, 3).Encode(), null);
            case "nii":
            case "nii-big-endian":
                var data = new byte[6 * 5 * 4 * 2];
                new Random(4).NextBytes(data);
                return ("f.nii", new NiftiTestFile { Dim = [3, 6, 5, 4, 1, 1, 1, 1], Data = data, BigEndian = kind.EndsWith("endian", StringComparison.Ordinal), SclSlope = 0.5f }.Build(), null);
            case "nii.gz":
                var gzData = new byte[6 * 5 * 4 * 2];
                new Random(5).NextBytes(gzData);
                var gzPath = temp.File("seed.nii.gz");
                new NiftiTestFile { Dim = [3, 6, 5, 4, 1, 1, 1, 1], Data = gzData }.WriteGzip(gzPath);
                return ("f.nii.gz", File.ReadAllBytes(gzPath), null);
            case "mha":
                var image = new MedicalImage([.. Enumerable.Range(0, 60).Select(i => (float)i)], 5, 4, 3, new ImageGeometry([1, 2, 3], [4, 5, 6], [0, 1, 0, -1, 0, 0, 0, 0, 1]), "CT");
                MetaImageWriter.Write(image, temp.File("seed.mha"));
                return ("f.mha", File.ReadAllBytes(temp.File("seed.mha")), null);
            default:
                var values = new byte[7 * 6 * 2];
                new Random(6).NextBytes(values);
                var zraw = MetaImageReaderTests.Zlib(values);
                var header = Encoding.ASCII.GetBytes($"ObjectType = Image\nNDims = 2\nDimSize = 7 6\nElementType = MET_SHORT\nCompressedData = True\nCompressedDataSize = {zraw.Length}\nTransformMatrix = 1 0 0 1\nElementSpacing = 0.5 0.5\nElementDataFile = f.zraw\n");
                return ("f.mhd", header, ("f.zraw", zraw));
        }
    }
}
