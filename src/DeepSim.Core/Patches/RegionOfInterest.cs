using DeepSim.Imaging;

namespace DeepSim.Patches;

/// <summary>How the sampler chooses the region where positive patch centres lie.</summary>
public enum RegionKind
{
    /// <summary>
    /// The paper's choice for CT: bone-intensity voxels of the fixed image, dilated by a few voxels, so that
    /// centres lie in or around the skull. The bone threshold defaults to 300 (Hounsfield units) when the image
    /// holds HU-like values (minimum below -100), otherwise to min + 0.8 x (max - min), which catches the
    /// saturated bone of windowed 8-bit CT.
    /// </summary>
    Skull,

    /// <summary>Voxels of the fixed image above an Otsu threshold (the head, for MR/MR pairs), not dilated.</summary>
    Foreground,

    /// <summary>Every voxel whose patch fits inside the image.</summary>
    All,
}

/// <summary>A voxel mask over an image grid, built from a threshold rule or given by the user.</summary>
public sealed class RegionOfInterest
{
    private readonly bool[] _mask;

    private RegionOfInterest(bool[] mask, int sizeX, int sizeY, int sizeZ, string description)
    {
        _mask = mask;
        SizeX = sizeX;
        SizeY = sizeY;
        SizeZ = sizeZ;
        Description = description;
    }

    /// <summary>Grid size along x.</summary>
    public int SizeX { get; }

    /// <summary>Grid size along y.</summary>
    public int SizeY { get; }

    /// <summary>Grid size along z.</summary>
    public int SizeZ { get; }

    /// <summary>How the region was made, for messages and verbose output.</summary>
    public string Description { get; }

    /// <summary>True where the voxel is inside the region.</summary>
    public bool Contains(int x, int y, int z) => _mask[x + (SizeX * (y + (SizeY * z)))];

    /// <summary>Number of voxels in the region.</summary>
    public int Count => _mask.Count(b => b);

    /// <summary>The region's voxels whose centred patch of side <paramref name="margin"/> x 2 + 1 stays in the image.</summary>
    public List<PatchCenter> Centers(int margin)
    {
        var list = new List<PatchCenter>();
        for (var z = 0; z < SizeZ; z++)
        {
            for (var y = margin; y < SizeY - margin; y++)
            {
                for (var x = margin; x < SizeX - margin; x++)
                {
                    if (_mask[x + (SizeX * (y + (SizeY * z)))])
                    {
                        list.Add(new PatchCenter(x, y, z));
                    }
                }
            }
        }

        return list;
    }

    /// <summary>
    /// The region's voxels whose centred patch stays in the image with <paramref name="margin"/> voxels in x and y and
    /// <paramref name="marginZ"/> in z (3D patches and search cubes: a centre at least that far from the first and last slice).
    /// </summary>
    public List<PatchCenter> Centers(int margin, int marginZ)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(marginZ);
        return [.. Centers(margin).Where(c => c.Z >= marginZ && c.Z < SizeZ - marginZ)];
    }

    /// <summary>Every voxel of the image.</summary>
    public static RegionOfInterest All(MedicalImage image) =>
        new(Enumerable.Repeat(true, checked((int)image.VoxelCount)).ToArray(), image.SizeX, image.SizeY, image.SizeZ, "all voxels");

    /// <summary>Non-zero voxels of a mask image on the same grid.</summary>
    public static RegionOfInterest FromMask(MedicalImage mask) =>
        new([.. mask.VoxelSpan.ToArray().Select(v => v != 0)], mask.SizeX, mask.SizeY, mask.SizeZ, $"mask {mask.Name}");

    /// <summary>Voxels at or above <paramref name="threshold"/>, dilated in-plane by <paramref name="dilationRadius"/> voxels (a disc).</summary>
    public static RegionOfInterest FromThreshold(MedicalImage image, float threshold, int dilationRadius, string description)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dilationRadius);
        var v = image.VoxelSpan;
        var seed = new bool[v.Length];
        for (var i = 0; i < v.Length; i++)
        {
            seed[i] = v[i] >= threshold && float.IsFinite(v[i]);
        }

        var mask = dilationRadius == 0 ? seed : Dilate(seed, image.SizeX, image.SizeY, image.SizeZ, dilationRadius);
        return new RegionOfInterest(mask, image.SizeX, image.SizeY, image.SizeZ, description);
    }

    /// <summary>Builds the default region of a kind for an image.</summary>
    public static RegionOfInterest Create(MedicalImage image, RegionKind kind, float? threshold = null, int dilationRadius = 3) =>
        kind switch
        {
            RegionKind.All => All(image),
            RegionKind.Foreground => FromThreshold(image, threshold ?? OtsuThreshold(image), 0, FormattableString.Invariant($"foreground >= {threshold ?? OtsuThreshold(image):G5}")),
            _ => FromThreshold(image, threshold ?? DefaultBoneThreshold(image), dilationRadius, FormattableString.Invariant($"skull: >= {threshold ?? DefaultBoneThreshold(image):G5}, dilated by {dilationRadius}")),
        };

    /// <summary>300 for HU-like images (minimum below -100), else min + 0.8 x (max - min).</summary>
    public static float DefaultBoneThreshold(MedicalImage image)
    {
        var (min, max) = image.GetRange();
        return min < -100 ? 300f : min + (0.8f * (max - min));
    }

    /// <summary>Otsu's threshold over a 256-bin histogram of the image's range.</summary>
    public static float OtsuThreshold(MedicalImage image)
    {
        var (min, max) = image.GetRange();
        if (!(max > min))
        {
            return max;
        }

        const int bins = 256;
        var hist = new long[bins];
        var scale = (bins - 1) / (max - min);
        long total = 0;
        foreach (var x in image.VoxelSpan)
        {
            if (float.IsFinite(x))
            {
                hist[(int)((x - min) * scale)]++;
                total++;
            }
        }

        double sumAll = 0;
        for (var i = 0; i < bins; i++)
        {
            sumAll += i * (double)hist[i];
        }

        double sumB = 0;
        long wB = 0;
        var best = 0.0;
        var bestIndex = 0;
        for (var i = 0; i < bins; i++)
        {
            wB += hist[i];
            if (wB == 0)
            {
                continue;
            }

            var wF = total - wB;
            if (wF == 0)
            {
                break;
            }

            sumB += i * (double)hist[i];
            var mB = sumB / wB;
            var mF = (sumAll - sumB) / wF;
            var between = (double)wB * wF * (mB - mF) * (mB - mF);
            if (between > best)
            {
                best = between;
                bestIndex = i;
            }
        }

        return min + ((bestIndex + 1) / scale);
    }

    private static bool[] Dilate(bool[] seed, int sx, int sy, int sz, int r)
    {
        var result = new bool[seed.Length];
        var offsets = new List<(int Dx, int Dy)>();
        for (var dy = -r; dy <= r; dy++)
        {
            for (var dx = -r; dx <= r; dx++)
            {
                if ((dx * dx) + (dy * dy) <= r * r)
                {
                    offsets.Add((dx, dy));
                }
            }
        }

        for (var z = 0; z < sz; z++)
        {
            for (var y = 0; y < sy; y++)
            {
                for (var x = 0; x < sx; x++)
                {
                    if (!seed[x + (sx * (y + (sy * z)))])
                    {
                        continue;
                    }

                    foreach (var (dx, dy) in offsets)
                    {
                        int xx = x + dx, yy = y + dy;
                        if (xx >= 0 && yy >= 0 && xx < sx && yy < sy)
                        {
                            result[xx + (sx * (yy + (sy * z)))] = true;
                        }
                    }
                }
            }
        }

        return result;
    }
}
