using System.Diagnostics;
using System.Globalization;
using DeepSim.Imaging.Dicom;
using DeepSim.Tests.Dicom;

// DICOM read benchmark.
//   DicomBench gen DIR [slices] [size]   writes a synthetic CT series (int16, explicit VR LE, shuffled file names)
//   DicomBench read DIR [reps]           reads the folder as one series with DicomImageReader.ReadMany, prints one time per line (ms)
if (args.Length < 2)
{
    Console.Error.WriteLine("usage: DicomBench gen DIR [slices] [size] | read DIR [reps]");
    return 2;
}

var dir = args[1];
if (args[0] == "gen")
{
    var slices = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 120;
    var size = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 512;
    Directory.CreateDirectory(dir);
    var rng = new Random(1234);
    var names = Enumerable.Range(0, slices).OrderBy(_ => rng.Next()).ToArray();
    var px = new short[size * size];
    for (var k = 0; k < slices; k++)
    {
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                var r = Math.Sqrt(((x - (size / 2.0)) * (x - (size / 2.0))) + ((y - (size / 2.0)) * (y - (size / 2.0))));
                px[(y * size) + x] = (short)((r < size * 0.4 ? 1000 + (40 * Math.Sin((x + k) * 0.05)) : 0) + rng.Next(-20, 20));
            }
        }

        DicomTestWriter.CtSlice("1.2.826.0.1.3680043.9.7.100", k + 1, [-0.5 * size * 0.7, -0.5 * size * 0.7, -200 + (k * 1.25)], [1, 0, 0, 0, 1, 0], 0.7, 1.25)
            .Pixels16(size, size, px)
            .Save(Path.Combine(dir, $"IM{names[k]:00000}.dcm"));
    }

    Console.WriteLine($"wrote {slices} slices of {size}x{size} to {dir}");
    return 0;
}

if (args[0] == "profile")
{
    var fs = Directory.GetFiles(dir, "*.dcm");
    for (var rep = 0; rep < 4; rep++)
    {
        var sw1 = Stopwatch.StartNew();
        var headers = fs.Select(DicomFile.Open).ToList();
        var tOpen = sw1.Elapsed.TotalMilliseconds;
        sw1.Restart();
        foreach (var f in fs)
        {
            new DicomImageReader().Read(f);
        }

        var tRead = sw1.Elapsed.TotalMilliseconds;
        sw1.Restart();
        new DicomImageReader().ReadMany(fs, e => throw e, _ => { });
        var tMany = sw1.Elapsed.TotalMilliseconds;
        Console.WriteLine($"open(whole) {tOpen:0.0} read-each {tRead:0.0} readmany {tMany:0.0}");
    }

    return 0;
}

var reps = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 7;
var files = Directory.GetFiles(dir, "*.dcm").Order(StringComparer.Ordinal).ToArray();
var reader = new DicomImageReader();
for (var rep = -1; rep < reps; rep++)
{
    var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
    var sw = Stopwatch.StartNew();
    var images = reader.ReadMany(files, e => throw e, w => Console.Error.WriteLine("warning: " + w));
    sw.Stop();
    var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
    if (images.Count != 1)
    {
        Console.Error.WriteLine($"expected one series, got {images.Count}");
        return 1;
    }

    if (rep >= 0)
    {
        // ms, allocated MB, voxel count (a check that all was read)
        Console.WriteLine(string.Format(CultureInfo.InvariantCulture, "{0:0.00} {1:0.0} {2}", sw.Elapsed.TotalMilliseconds, allocated / 1048576.0, images[0].VoxelCount));
    }
}

return 0;
