using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using DeepSim.Imaging;
using DeepSim.Imaging.Formats;

// Read throughput of DeepSim's image readers: synthetic volumes written here (seeded) plus the shared real data.
// Usage: dotnet run -c Release --project bench/DeepSim.Bench.Formats [-- repetitions]
var repetitions = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 5;
var folder = Path.Combine(Path.GetTempPath(), "deepsim-bench-formats-" + Guid.NewGuid().ToString("N"));
Directory.CreateDirectory(folder);
try
{
    var cases = new List<(string Name, string Path)>();
    var rng = new Random(20261127);

    // 256^3 int16 NIfTI (32 MiB of data), plain and gzip.
    const int N = 256;
    var data = new byte[N * N * N * 2];
    for (var i = 0; i < data.Length; i += 2)
    {
        BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(i), (short)(rng.Next(4096) - 1024));
    }

    var nii = Path.Combine(folder, "v256.nii");
    File.WriteAllBytes(nii, [.. NiftiHeader(N, N, N, 4, 16), .. data]);
    cases.Add(("NIfTI 256^3 int16", nii));
    var niigz = nii + ".gz";
    using (var fs = File.Create(niigz))
    using (var gz = new GZipStream(fs, CompressionLevel.Fastest))
    {
        gz.Write(File.ReadAllBytes(nii));
    }

    cases.Add(("NIfTI 256^3 int16 .nii.gz", niigz));

    // The same volume as float32 MetaImage written by MetaImageWriter.
    var volume = new NiftiReader().Read(nii)[0];
    var mha = Path.Combine(folder, "v256.mha");
    MetaImageWriter.Write(volume, mha);
    cases.Add(("MetaImage 256^3 float32 .mha", mha));

    var shared = Environment.GetEnvironmentVariable("DEEPSIM_DATA") ?? FindSharedData();
    foreach (var rel in new[] { "mni-templates-3d/avg152T1.nii", "mni-templates-3d/avg152T1.nii.gz", "mr-t1-pd-slice/BrainProtonDensity3Slices.mha", "mr-t1-pd-slice/BrainT1Slice.png", "ct-mr-head/CT" })
    {
        var p = Path.Combine(shared, rel);
        if (File.Exists(p))
        {
            cases.Add((rel, p));
        }
        else if (Directory.Exists(p))
        {
            cases.Add((rel + "/*.png (all)", p));
        }
    }

    var loader = ImageLoader.CreateDefault();
    Console.WriteLine($"{"case",-48} {"voxels",12} {"best ms",9} {"Mvox/s",9}");
    foreach (var (name, path) in cases)
    {
        var files = Directory.Exists(path) ? Directory.GetFiles(path, "*.png").Order().ToArray() : [path];
        var best = double.MaxValue;
        long voxels = 0;
        for (var r = 0; r < repetitions; r++)
        {
            var sw = Stopwatch.StartNew();
            voxels = 0;
            foreach (var f in files)
            {
                voxels += loader.SelectReader(f).Read(f)[0].VoxelCount;
            }

            best = Math.Min(best, sw.Elapsed.TotalMilliseconds);
        }

        Console.WriteLine($"{name,-48} {voxels,12} {best,9:F1} {voxels / best / 1000,9:F1}");
    }
}
finally
{
    Directory.Delete(folder, recursive: true);
}

static string FindSharedData()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        var candidate = Path.Combine(dir.FullName, "shared", "data");
        if (Directory.Exists(candidate))
        {
            return candidate;
        }
    }

    return "shared-data-not-found";
}

static byte[] NiftiHeader(int x, int y, int z, short datatype, short bitpix)
{
    var h = new byte[352];
    BinaryPrimitives.WriteInt32LittleEndian(h, 348);
    short[] dim = [3, (short)x, (short)y, (short)z, 1, 1, 1, 1];
    for (var i = 0; i < 8; i++)
    {
        BinaryPrimitives.WriteInt16LittleEndian(h.AsSpan(40 + (2 * i)), dim[i]);
    }

    BinaryPrimitives.WriteInt16LittleEndian(h.AsSpan(70), datatype);
    BinaryPrimitives.WriteInt16LittleEndian(h.AsSpan(72), bitpix);
    for (var i = 0; i < 8; i++)
    {
        BinaryPrimitives.WriteSingleLittleEndian(h.AsSpan(76 + (4 * i)), 1);
    }

    BinaryPrimitives.WriteSingleLittleEndian(h.AsSpan(108), 352);
    "n+1\0"u8.CopyTo(h.AsSpan(344));
    return h;
}
