using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using DeepSim.Evaluation;
using DeepSim.Imaging;
using DeepSim.Imaging.Dicom;
using DeepSim.Imaging.Formats;
using DeepSim.IO;
using DeepSim.Learning;
using DeepSim.Patches;
using DeepSim.Similarity;
using DeepSim.Tests.Dicom;
using Xunit;
using Xunit.Abstractions;

namespace DeepSim.Tests.Imaging;

/// <summary>
/// Regression tests for issue 9, section 2: input that damaged results silently or stopped a run. Each test names its
/// item; the data is made here (no shared data needed).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class HostileInputRegressionTests(ITestOutputHelper output) : IDisposable
{
    private static readonly double[] Axial = [1, 0, 0, 0, 1, 0];
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    // ---- item 1: directory links are not followed; a run that met two loop links used to hang with memory climbing ----

    [Fact]
    public async Task Item1_RecursiveReadDoesNotFollowDirectoryLinks()
    {
        var root = Directory.CreateDirectory(_temp.File("archive")).FullName;
        var sub = Directory.CreateDirectory(Path.Combine(root, "a")).FullName;
        MetaImageWriter.Write(Ramp(8, 8), Path.Combine(sub, "one.mha"));
        File.CreateSymbolicLink(Path.Combine(sub, "up"), root);
        File.CreateSymbolicLink(Path.Combine(root, "again"), sub);

        var task = Task.Run(() => ImageLoader.CreateDefault().Stream([root], recurse: true).ToList());
        var finished = await Task.WhenAny(task, Task.Delay(TimeSpan.FromSeconds(60)));
        Assert.True(finished == task, "a recursive read over two loop links did not finish");
        var results = await task;
        Assert.Single(results, r => r.Kind == ImageLoadResultKind.Image);
        Assert.DoesNotContain(results, r => r.Kind == ImageLoadResultKind.Error);
        Assert.Equal(2, results.Count(r => r.Kind == ImageLoadResultKind.Skipped && r.Message!.Contains("not followed", StringComparison.Ordinal)));
    }

    // ---- item 2: an unreadable folder is one non-terminating error; the readable images are still read ----

    [SkippableFact]
    public void Item2_UnreadableSubfolderIsOneErrorAndTheOthersAreRead()
    {
        var root = Directory.CreateDirectory(_temp.File("tree")).FullName;
        MetaImageWriter.Write(Ramp(8, 8), Path.Combine(Directory.CreateDirectory(Path.Combine(root, "a")).FullName, "one.mha"));
        var locked = Directory.CreateDirectory(Path.Combine(root, "b")).FullName;
        MetaImageWriter.Write(Ramp(8, 8), Path.Combine(locked, "hidden.mha"));
        MetaImageWriter.Write(Ramp(8, 8), Path.Combine(Directory.CreateDirectory(Path.Combine(root, "c")).FullName, "two.mha"));
        File.SetUnixFileMode(locked, UnixFileMode.None);
        try
        {
            var canStillList = true;
            try
            {
                _ = Directory.GetFiles(locked);
            }
            catch (UnauthorizedAccessException)
            {
                canStillList = false;
            }

            Skip.If(canStillList, "this process reads folders whatever their mode (root); run as a normal user to exercise an unreadable folder.");
            var results = ImageLoader.CreateDefault().Stream([root], recurse: true).ToList();
            Assert.Equal(2, results.Count(r => r.Kind == ImageLoadResultKind.Image));
            var error = Assert.Single(results, r => r.Kind == ImageLoadResultKind.Error).Error!;
            Assert.Equal(ImageReadError.AccessDenied, error.Error);
            Assert.Equal(locked, error.Path);
        }
        finally
        {
            File.SetUnixFileMode(locked, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    // ---- item 3: NaN / Inf voxels ----

    [Fact]
    public void Item3_ImportWarnsOncePerImageWithTheCountOfNonFiniteVoxels()
    {
        var voxels = Ramp(16, 16).GetVoxels();
        voxels[5] = float.NaN;
        voxels[9] = float.PositiveInfinity;
        voxels[10] = float.NaN;
        var path = _temp.File("nan.mha");
        MetaImageWriter.Write(new MedicalImage(voxels, 16, 16, 1), path);
        var warnings = new List<string>();
        var image = Assert.Single(ImageLoader.CreateDefault().Load([path], warnings.Add)).Image!;
        Assert.True(float.IsNaN(image[5, 0]));
        var warning = Assert.Single(warnings);
        Assert.Contains("2 NaN and 1 infinite voxel(s) of 256", warning, StringComparison.Ordinal);
    }

    [Fact]
    public void Item3_PatchSamplingNeverSamplesAPatchWithANonFiniteVoxel()
    {
        var f = Ramp(64, 64).GetVoxels();
        var m = Ramp(64, 64).GetVoxels();
        f[(30 * 64) + 30] = float.NaN;
        m[(20 * 64) + 40] = float.PositiveInfinity;
        var pairs = PatchSampler.Sample(
            new MedicalImage(f, 64, 64, 1), new MedicalImage(m, 64, 64, 1),
            new PatchSamplingOptions { PatchSize = 9, Count = 400, Seed = 3, Region = RegionKind.All, Negatives = NegativeSampling.Random });
        Assert.Equal(800, pairs.Count);
        Assert.All(pairs, p => Assert.True(p.FixedPatch.All(float.IsFinite) && p.MovingPatch.All(float.IsFinite), $"pair at {p.FixedCenter}/{p.MovingCenter} holds a non-finite voxel"));
    }

    [Theory]
    [InlineData("NMI", float.PositiveInfinity)]
    [InlineData("LCC", float.NaN)]
    public void Item3_ANonFiniteVoxelMakesOnlyTheCandidatesThatTouchItNaN(string metricName, float bad)
    {
        var fixedImage = Textured(48, 48, 1);
        var clean = Textured(48, 48, 2);
        var (min, _) = clean.GetRange();
        var damaged = clean.GetVoxels();
        var reference = clean.GetVoxels();
        const int bx = 30, by = 24;
        damaged[(by * 48) + bx] = bad;
        reference[(by * 48) + bx] = min; // the same image with that voxel at a finite value that changes no range
        Assert.True(MetricRegistry.TryCreate(metricName, out var metric));
        var centre = new PatchCenter(24, 24);
        const int patch = 7, radius = 10;
        var got = SimilarityMap.Compute(metric, fixedImage, new MedicalImage(damaged, 48, 48, 1), centre, patch, radius).Scores;
        var want = SimilarityMap.Compute(metric, fixedImage, new MedicalImage(reference, 48, 48, 1), centre, patch, radius).Scores;
        var w = (2 * radius) + 1;
        int touching = 0, clear = 0;
        for (var dy = -radius; dy <= radius; dy++)
        {
            for (var dx = -radius; dx <= radius; dx++)
            {
                var i = ((dy + radius) * w) + dx + radius;
                var touches = Math.Abs(centre.X + dx - bx) <= patch / 2 && Math.Abs(centre.Y + dy - by) <= patch / 2;
                if (touches)
                {
                    Assert.True(float.IsNaN(got[i]), $"candidate ({dx},{dy}) touches the bad voxel but scored {got[i]}");
                    touching++;
                }
                else
                {
                    Assert.Equal(want[i], got[i]);
                    clear++;
                }
            }
        }

        output.WriteLine($"{metricName}: {touching} candidates NaN, {clear} unchanged");
    }

    [Fact]
    public void Item3_AModelFileWithNaNWeightsIsRefused()
    {
        var path = _temp.File("nan.dsim");
        var layer = new DenseLayer(2, 2 * 3 * 3, new float[36], [0f, 0f]);
        layer.Weights[7] = float.NaN;
        ModelFile.Save(TinyModel(layer), path);
        var e = Assert.Throws<ModelFileException>(() => ModelFile.Load(path));
        Assert.Equal(ModelFileError.NonFiniteWeights, e.Error);
    }

    // ---- item 4: a truncated duplicate of an instance must not replace the intact one ----

    [Fact]
    public void Item4_TruncatedDuplicateDoesNotReplaceTheIntactInstance()
    {
        var paths = new List<string>();
        for (var k = 0; k < 4; k++)
        {
            var path = _temp.File($"s{k}.dcm");
            Slice(k).Save(path);
            paths.Add(path);
        }

        // The copy comes first in the listing, as "a-copy.dcm" would, and is cut inside its pixel data.
        var intact = File.ReadAllBytes(paths[2]);
        var copy = _temp.File("a-copy.dcm");
        File.WriteAllBytes(copy, intact[..(intact.Length - 1000)]);
        paths.Insert(0, copy);

        var errors = new List<ImageReadException>();
        var warnings = new List<string>();
        var image = Assert.Single(new DicomImageReader().ReadMany(paths, errors.Add, warnings.Add));
        Assert.Empty(errors);
        Assert.Equal(4, image.SizeZ);
        Assert.Equal(2.5, image.Spacing[2], 6);
        Assert.Contains(warnings, w => w.Contains("a-copy.dcm", StringComparison.Ordinal) && w.Contains("s2.dcm", StringComparison.Ordinal));
        Assert.Equal(200f - 1024f + 3, image[3, 0, 2]);
    }

    // ---- item 5: corrupt compressed pixel data and invalid photometric interpretations fail ----

    [Fact]
    public void Item5_RleOutputThatRunsShortIsCorruptPixelData()
    {
        // One 8-bit segment for 8x8 pixels, but the literal run holds only 32 of the 64 bytes.
        var segment = (byte[])[31, .. Enumerable.Range(0, 32).Select(i => (byte)i)];
        var frame = new byte[64 + segment.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, 1);
        BinaryPrimitives.WriteUInt32LittleEndian(frame.AsSpan(4), 64);
        segment.CopyTo(frame, 64);
        var e = ReadFails(Encapsulated("1.2.840.10008.1.2.5", frame, 8, 8));
        Assert.Equal(ImageReadError.CorruptPixelData, e.Error);
        Assert.Equal("ImageCorruptPixelData", e.ErrorId);
    }

    [Fact]
    public void Item5_InvalidPhotometricInterpretationIsRefused()
    {
        var w = Slice(0).Text(0x0028, 0x0004, "CS", "MGNOCHROME2");
        var path = _temp.File("bad-pi.dcm");
        w.Save(path);
        var e = Assert.Throws<ImageReadException>(() => new DicomImageReader().Read(path));
        Assert.Equal(ImageReadError.CorruptHeader, e.Error);
        Assert.Contains("MGNOCHROME2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Item5_AByteInsertedIntoPixelDataIsFoundByTheStrayByteAtTheEnd()
    {
        // Slice 3's pixels are 300 + x: every high byte is 1, so the byte pushed out at the end is not zero padding.
        var bytes = Slice(3).ToBytes();
        var at = bytes.Length - 10000;
        var shifted = (byte[])[.. bytes[..at], 0x42, .. bytes[at..]];
        var path = _temp.File("shifted.dcm");
        File.WriteAllBytes(path, shifted);
        var errors = new List<ImageReadException>();
        Assert.Empty(new DicomImageReader().ReadMany([path], errors.Add, _ => { }));
        Assert.Equal(ImageReadError.Truncated, Assert.Single(errors).Error);
        Assert.Contains("stray byte", errors[0].Message, StringComparison.Ordinal);

        // Slice 0's high bytes are 0: the byte pushed out is zero, and still odd, so still found.
        var zeroHigh = Slice(0).ToBytes();
        var path0 = _temp.File("shifted0.dcm");
        File.WriteAllBytes(path0, [.. zeroHigh[..at], 0x42, .. zeroHigh[at..]]);
        errors.Clear();
        Assert.Empty(new DicomImageReader().ReadMany([path0], errors.Add, _ => { }));
        Assert.Equal(ImageReadError.Truncated, Assert.Single(errors).Error);
    }

    // ---- item 7: series are built one at a time, when the caller asks for them ----

    [Fact]
    public void Item7_EachSeriesIsBuiltOnlyWhenTheCallerReachesIt()
    {
        var paths = new List<string>();
        for (var s = 0; s < 3; s++)
        {
            for (var k = 0; k < 3; k++)
            {
                var path = _temp.File($"series{s}-{k}.dcm");
                Slice(k, "1.2.826.0.1.3680043.9.7.2." + s).Save(path);
                paths.Add(path);
            }
        }

        var reader = new DicomImageReader();
        var errors = new List<ImageReadException>();
        using var enumerator = reader.StreamMany(paths, errors.Add, _ => { }).GetEnumerator();
        Assert.True(enumerator.MoveNext());
        var first = enumerator.Current;

        // The second series' files are damaged after the first image was handed out: a reader that had built every
        // series up front would return it intact; a streaming one reads it now and reports it.
        foreach (var p in paths.Where(p => Path.GetFileName(p).StartsWith("series1", StringComparison.Ordinal)))
        {
            File.WriteAllBytes(p, File.ReadAllBytes(p)[..^500]);
        }

        var rest = new List<MedicalImage>();
        while (enumerator.MoveNext())
        {
            rest.Add(enumerator.Current);
        }

        Assert.Equal(3, first.SizeZ);
        Assert.Equal(3, Assert.Single(rest).SizeZ);
        Assert.Equal(3, errors.Count);
        Assert.All(errors, e => Assert.Equal(ImageReadError.Truncated, e.Error));
    }

    // ---- item 8: hand-made model files give ModelFile* errors, never OutOfMemory or NullReference ----

    [Fact]
    public void Item8_HandMadeModelFilesGiveModelFileErrors()
    {
        var valid = _temp.File("valid.dsim");
        ModelFile.Save(TinyModel(new DenseLayer(2, 18, new float[36], [0f, 0f])), valid);
        var (kind, meta, blocks) = Disassemble(File.ReadAllBytes(valid));

        // A block count of 0x7FFFFFFF with a checksum that matches.
        AssertCorrupt(Assemble(kind, meta, blocks, countOverride: 0x7FFFFFFF), "count");
        // A block whose length claims 1 GB.
        AssertCorrupt(Assemble(kind, meta, [new float[1], .. blocks[1..]], firstLengthOverride: 0x10000000), "length");
        // LayerShapes null, and a shape that does not match its blocks.
        AssertCorrupt(Assemble(kind, Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(meta).Replace("\"LayerShapes\":[[2,18]]", "\"LayerShapes\":null", StringComparison.Ordinal)), blocks), "LayerShapes");
        AssertCorrupt(Assemble(kind, Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(meta).Replace("\"LayerShapes\":[[2,18]]", "\"LayerShapes\":[[3,18]]", StringComparison.Ordinal)), blocks), "layer 0");
        AssertCorrupt(Assemble(kind, Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(meta).Replace("\"History\":[]", "\"History\":null", StringComparison.Ordinal)), blocks), "History");

        void AssertCorrupt(byte[] content, string mention)
        {
            var path = _temp.File($"bad-{Guid.NewGuid():N}.dsim");
            File.WriteAllBytes(path, content);
            var e = Assert.Throws<ModelFileException>(() => ModelFile.Load(path));
            Assert.Equal(ModelFileError.Corrupt, e.Error);
            Assert.Contains(mention, e.Message, StringComparison.Ordinal);
            output.WriteLine(e.Message);
        }
    }

    // ---- item 9: exports follow PowerShell's conventions for what is at the path ----

    [Fact]
    public void Item9_ReadOnlyFileIsRefusedWithoutForceAndKeepsItsModeWithIt()
    {
        var path = _temp.File("ro.bin");
        File.WriteAllBytes(path, [1]);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var e = Assert.Throws<AtomicWriteRefusedException>(() => AtomicFile.WriteAllBytes(path, [2]));
        Assert.Equal(AtomicWriteRefusal.ReadOnly, e.Refusal);
        Assert.Equal([1], File.ReadAllBytes(path));
        using (AtomicFile.ReplaceReadOnly())
        {
            AtomicFile.WriteAllBytes(path, [3]);
        }

        Assert.Equal([3], File.ReadAllBytes(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(path));
    }

    [Fact]
    public void Item9_ModeIsKeptSymlinksAreWrittenThroughAndDevicesAreRefused()
    {
        var secret = _temp.File("secret.dsim");
        File.WriteAllBytes(secret, [1]);
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        AtomicFile.WriteAllBytes(secret, [2]);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(secret));

        var link = _temp.File("link.dsim");
        File.CreateSymbolicLink(link, secret);
        AtomicFile.WriteAllBytes(link, [4]);
        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.Equal([4], File.ReadAllBytes(secret));

        var e = Assert.Throws<AtomicWriteRefusedException>(() => AtomicFile.WriteAllBytes("/dev/null", [5]));
        Assert.Equal(AtomicWriteRefusal.NotARegularFile, e.Refusal);
        var dir = Directory.CreateDirectory(_temp.File("folder.dsim")).FullName;
        Assert.Equal(AtomicWriteRefusal.NotARegularFile, Assert.Throws<AtomicWriteRefusedException>(() => AtomicFile.WriteAllBytes(dir, [6])).Refusal);
    }

    // ---- item 10: temporary files of a killed export are removed by the next write to that folder ----

    [Fact]
    public void Item10_StaleTemporaryFilesOfDeepSimsNamingAreRemoved()
    {
        var stale = _temp.File($".model.dsim.{Guid.NewGuid():N}.tmp");
        var fresh = _temp.File($".model.dsim.{Guid.NewGuid():N}.tmp");
        var foreign = _temp.File(".notes.tmp");
        foreach (var f in new[] { stale, fresh, foreign })
        {
            File.WriteAllBytes(f, new byte[1000]);
        }

        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddHours(-2));
        File.SetLastWriteTimeUtc(foreign, DateTime.UtcNow.AddHours(-2));
        AtomicFile.WriteAllBytes(_temp.File("model.dsim"), [1, 2, 3]);
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(fresh), "a temporary file younger than the stale age may belong to a write in progress");
        Assert.True(File.Exists(foreign), "files not of DeepSim's naming are never touched");
    }

    // ---- item 11: messages ----

    [Fact]
    public void Item11_LinkLoopAndDirectoryAreNotAccessDenied()
    {
        var a = _temp.File("loop-a.nii");
        File.CreateSymbolicLink(a, _temp.File("loop-b.nii"));
        File.CreateSymbolicLink(_temp.File("loop-b.nii"), a);
        var loader = ImageLoader.CreateDefault();
        Assert.Equal(ImageReadError.LinkLoop, Assert.Throws<ImageReadException>(() => loader.SelectReader(a)).Error);
        var dir = Directory.CreateDirectory(_temp.File("dir.nii")).FullName;
        var e = Assert.Throws<ImageReadException>(() => loader.SelectReader(dir));
        Assert.Equal(ImageReadError.NotAFile, e.Error);
        Assert.DoesNotContain("denied", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Item11_AFileCutBetweenElementsBeforeThePixelDataIsTruncated()
    {
        var bytes = Slice(0).ToBytes();
        var pixelTag = bytes.AsSpan().IndexOf((byte[])[0xE0, 0x7F, 0x10, 0x00]);
        var e = ReadFails(bytes[..pixelTag]);
        Assert.Equal(ImageReadError.Truncated, e.Error);
    }

    [Fact]
    public void Item11_ControlCharactersFromHeadersAndModelNamesAreEscaped()
    {
        var path = _temp.File("esc.dcm");
        Slice(0).Text(0x0028, 0x0004, "CS", "\u001b[31mRED").Save(path);
        var e = Assert.Throws<ImageReadException>(() => new DicomImageReader().Read(path));
        Assert.DoesNotContain('\u001b', e.Message);
        Assert.Contains("\\x1B[31M", e.Message, StringComparison.Ordinal);

        var model = _temp.File("esc.dsim");
        ModelFile.Save(TinyModel(new DenseLayer(2, 18, new float[36], [0f, 0f]), "evil\u001b]0;title\u0007"), model);
        var loaded = Assert.IsType<SimilarityModel>(ModelFile.Load(model));
        Assert.Equal("evil\\x1B]0;title\\x07", loaded.Name);
    }

    [Fact]
    public void Item11_GzippedDicomIsRead()
    {
        var plain = _temp.File("plain.dcm");
        Slice(1).Save(plain);
        var gz = _temp.File("slice.dcm.gz");
        using (var output = File.Create(gz))
        using (var zip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Optimal))
        {
            zip.Write(File.ReadAllBytes(plain));
        }

        var results = ImageLoader.CreateDefault().Load([gz]).ToList();
        var image = Assert.Single(results).Image;
        Assert.NotNull(image);
        Assert.Equal(new DicomImageReader().Read(plain)[0].GetVoxels(), image.GetVoxels());
    }

    // ---- issue 10: one file selection for both importers ----

    [Fact]
    public void SelectionSkipsDataFilesOfHeadersAndStreamReadsEachImageOnce()
    {
        var folder = Directory.CreateDirectory(_temp.File("pairs")).FullName;
        File.WriteAllText(Path.Combine(folder, "x.mhd"), "ObjectType = Image\nNDims = 2\nDimSize = 4 4\nElementType = MET_UCHAR\nElementDataFile = x.raw\n");
        File.WriteAllBytes(Path.Combine(folder, "x.raw"), [.. Enumerable.Range(0, 16).Select(i => (byte)i)]);
        File.WriteAllText(Path.Combine(folder, "notes.txt"), "not an image");
        var loader = ImageLoader.CreateDefault();

        var selected = loader.SelectFiles(folder, recurse: false).ToList();
        Assert.Equal(["notes.txt", "x.mhd"], selected.Where(r => r.Kind == ImageLoadResultKind.File).Select(r => Path.GetFileName(r.Path)));
        Assert.Equal("x.raw", Path.GetFileName(Assert.Single(selected, r => r.Kind == ImageLoadResultKind.Skipped).Path));

        var results = loader.Stream([folder]).ToList();
        Assert.Equal("x.mhd", Path.GetFileName(Assert.Single(results, r => r.Kind == ImageLoadResultKind.Image).Path));
        Assert.DoesNotContain(results, r => r.Kind == ImageLoadResultKind.Error);

        // Given explicitly, a file of no known format is an error, not a skip.
        var explicitNotes = Assert.Single(loader.Stream([Path.Combine(folder, "notes.txt")]));
        Assert.Equal(ImageReadError.UnknownFormat, explicitNotes.Error!.Error);
    }

    // ---- helpers ----

    private static MedicalImage Ramp(int sx, int sy) =>
        new([.. Enumerable.Range(0, sx * sy).Select(i => (float)(i % 251))], sx, sy, 1);

    private static MedicalImage Textured(int sx, int sy, int seed)
    {
        var rng = new Random(seed);
        var v = new float[sx * sy];
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = (float)((100 * Math.Sin(i % sx / 3.0) * Math.Cos(i / sx / 4.0)) + rng.Next(20));
        }

        return new MedicalImage(v, sx, sy, 1);
    }

    /// <summary>A CT slice k of a series at z = 2.5 k; pixel = 100 k + x. The default size (128 x 128, 32 KB of pixels) is larger than the header prefix a series read opens first, so pixel data is read later, from the file.</summary>
    private static DicomTestWriter Slice(int k, string series = "1.2.826.0.1.3680043.9.7.1.1", int rows = 128, int cols = 128)
    {
        var px = new short[rows * cols];
        for (var i = 0; i < px.Length; i++)
        {
            px[i] = (short)((100 * k) + (i % cols));
        }

        return DicomTestWriter.CtSlice(series, k + 1, [0, 0, 2.5 * k], Axial, 0.7, 2.5).Pixels16(rows, cols, px);
    }

    private ImageReadException ReadFails(byte[] bytes)
    {
        var path = _temp.File($"fails-{Guid.NewGuid():N}.dcm");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<ImageReadException>(() => new DicomImageReader().Read(path));
        output.WriteLine($"{e.ErrorId}: {e.Message}");
        return e;
    }

    /// <summary>An 8-bit monochrome image with encapsulated pixel data of one frame in the given transfer syntax.</summary>
    private static byte[] Encapsulated(string transferSyntax, byte[] frame, int rows, int cols)
    {
        var w = new DicomTestWriter()
            .Text(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.7")
            .Text(0x0008, 0x0018, "UI", "1.2.3.4")
            .UShort(0x0028, 0x0002, 1).Text(0x0028, 0x0004, "CS", "MONOCHROME2")
            .UShort(0x0028, 0x0010, (ushort)rows).UShort(0x0028, 0x0011, (ushort)cols)
            .UShort(0x0028, 0x0100, 8).UShort(0x0028, 0x0101, 8).UShort(0x0028, 0x0102, 7).UShort(0x0028, 0x0103, 0);
        var head = w.ToBytes(transferSyntaxUid: transferSyntax);
        var padded = frame.Length % 2 == 1 ? [.. frame, 0] : frame;
        using var ms = new MemoryStream();
        ms.Write(head);
        ms.Write((byte[])[0xE0, 0x7F, 0x10, 0x00, (byte)'O', (byte)'B', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF]);
        ms.Write((byte[])[0xFE, 0xFF, 0x00, 0xE0, 0, 0, 0, 0]);
        var item = new byte[8];
        BinaryPrimitives.WriteUInt16LittleEndian(item, 0xFFFE);
        BinaryPrimitives.WriteUInt16LittleEndian(item.AsSpan(2), 0xE000);
        BinaryPrimitives.WriteUInt32LittleEndian(item.AsSpan(4), (uint)padded.Length);
        ms.Write(item);
        ms.Write(padded);
        ms.Write((byte[])[0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]);
        return ms.ToArray();
    }

    private static SimilarityModel TinyModel(DenseLayer layer, string name = "tiny") =>
        new(name, 3, InputNormalization.ImageRange, ActivationKind.Sigmoid, [layer], new SimilarityTrainingOptions(), [], 0, false, 0, DateTimeOffset.UnixEpoch);

    private static (uint Kind, byte[] Meta, List<float[]> Blocks) Disassemble(byte[] file)
    {
        var pos = 24;
        var metaLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(pos));
        var meta = file.AsSpan(pos + 4, metaLength).ToArray();
        pos += 4 + metaLength;
        var count = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(pos));
        pos += 4;
        var blocks = new List<float[]>();
        for (var b = 0; b < count; b++)
        {
            var n = (int)BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(pos));
            pos += 4;
            blocks.Add([.. Enumerable.Range(0, n).Select(i => BinaryPrimitives.ReadSingleLittleEndian(file.AsSpan(pos + (4 * i))))]);
            pos += 4 * n;
        }

        return (BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(8)), meta, blocks);
    }

    /// <summary>A model file in DeepSim's layout with a checksum that matches, whatever the content claims.</summary>
    private static byte[] Assemble(uint kind, byte[] meta, List<float[]> blocks, uint? countOverride = null, uint? firstLengthOverride = null)
    {
        using var ms = new MemoryStream();
        var u32 = new byte[4];
        void U32(uint v)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(u32, v);
            ms.Write(u32);
        }

        ms.Write("DSIM"u8);
        U32(1);
        U32(kind);
        U32(0);
        ms.Write(new byte[8]);
        U32((uint)meta.Length);
        ms.Write(meta);
        U32(countOverride ?? (uint)blocks.Count);
        for (var b = 0; b < blocks.Count; b++)
        {
            U32(b == 0 && firstLengthOverride is { } l ? l : (uint)blocks[b].Length);
            foreach (var v in blocks[b])
            {
                var f = new byte[4];
                BinaryPrimitives.WriteSingleLittleEndian(f, v);
                ms.Write(f);
            }
        }

        var body = ms.ToArray();
        BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(16), (ulong)(body.Length + 32));
        return [.. body, .. SHA256.HashData(body)];
    }
}
